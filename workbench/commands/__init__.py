"""One module per stage; each defines ``register(app)`` adding its commands to ``rlx``."""
