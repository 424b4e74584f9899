"""Assist: language, topic, answer suggestions and the automatic-answer decision, as plain functions over text.

A leaf: it imports neither Redis nor aiohttp nor the gateway. The gateway feeds it text and stores what it
learns (models as bytes, agents' choices as rows); every model here ships inside its wheel or is trained on
the tenant's own examples, so nothing is downloaded at run time.
"""
