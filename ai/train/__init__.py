"""Parley's shared trainer: recurrent stacks (GRU/LSTM/SRU), training loop,
export to the PLMD model format read by ai/model and ai/nn (docs/ai.md)."""
