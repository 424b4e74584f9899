"""Bridges to the messenger platforms: a leaf package (it imports nothing from ``gateway``).

``base`` holds the contract, ``events`` the canonical events, ``registry`` the bridges by type.
"""
