"""Person linkage: the master person index (stable person keys), the household index, the review queue.

`link_persons` (index.py) is the entry point; the probabilistic model that scores pairs
lives in model.py and is passed in as a scorer, so everything here runs and is tested
with any scorer that returns pairs.
"""
