"""The only place an op's math lives: forward and vector-Jacobian product side by side.

Families: :mod:`elementwise`, :mod:`reduce`, :mod:`movement`, :mod:`matmul`,
:mod:`loss` (and, for images and sequences, ``conv``, ``pool``, ``rnn``).
"""
