"""Venue wire formats. Binance spot is the one venue rlx captures and reconstructs."""
