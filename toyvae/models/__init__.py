"""Models for ONE example: pure functions of (params, x, key) that the engine trains.

Each module holds one family: its parameter initialiser, encoder and decoder, and the
per-example loss that an experiment turns into an engine ``Program``. Models import only from
``toyvae.theory``, ``toyvae.profiles`` and ``toyvae.data``, never from the engine or above.
"""
