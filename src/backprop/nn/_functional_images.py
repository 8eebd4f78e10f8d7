"""Functional forms of the image layers (conv, pooling, normalisation, dropout, embedding)."""

__all__: list[str] = []
