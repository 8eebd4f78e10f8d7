"""Layers: modules hold parameters and call ``nn.functional``."""
