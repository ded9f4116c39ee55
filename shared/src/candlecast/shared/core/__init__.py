"""The pure core: messages, bars, labels, the feature engine, cards, scores and the ports.

Nothing here touches Redis, FastStream, files, pyarrow, pandas, the clock or the environment.
"""
