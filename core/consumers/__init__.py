"""Tracked consumers: stream consumers whose position and effects commit in one transaction.

``tracked.TrackedConsumer`` is the base every consumer of a Canary stream builds on (the customer
projection, the Chirp stage, and Fox's and Bubble's consumers to come); ``positions`` holds the
``processed_messages`` bookkeeping; ``keys.message_key`` names one parsed event.
"""
