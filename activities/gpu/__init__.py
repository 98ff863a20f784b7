"""The gpu queue's models on MLX: script writer (mlx-lm), embeddings (MiniLM), voice (F5-TTS).

Nothing here is imported by workflows; mlx itself is imported lazily by each backend.
"""
