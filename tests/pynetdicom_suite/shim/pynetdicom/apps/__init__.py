"""pynetdicom's ``apps`` package under the harness: fastdimse's echoscu and echoscp."""
