"""lambdock: AWS SAM templates served offline (API Gateway, Lambda, S3 on MinIO)."""

__version__ = "0.1.0"
