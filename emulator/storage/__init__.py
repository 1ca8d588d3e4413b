"""S3 storage on MinIO: server, buckets, credentials, notifications."""
