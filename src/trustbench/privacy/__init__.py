"""Membership inference: attack scores, audit pools, canaries, and reference models (vectorised
training, caching). Pure functions and training code; the privacy suite (``suites/privacy``)
orchestrates them."""
