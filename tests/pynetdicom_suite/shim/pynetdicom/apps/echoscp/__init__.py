"""Launcher folder for fastdimse's echoscp (pynetdicom's tests run apps/echoscp/echoscp.py)."""
