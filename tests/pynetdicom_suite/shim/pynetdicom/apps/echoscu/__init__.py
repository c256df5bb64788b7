"""Launcher folder for fastdimse's echoscu (pynetdicom's tests run apps/echoscu/echoscu.py)."""
