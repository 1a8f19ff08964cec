"""Terminal trainer for practising conversations with a simulated caller."""
