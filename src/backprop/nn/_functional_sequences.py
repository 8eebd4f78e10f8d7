"""Functional forms of the sequence layers (RNN, LSTM, GRU cells)."""

__all__: list[str] = []
