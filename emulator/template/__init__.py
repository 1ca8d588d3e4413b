"""Loading SAM/CloudFormation templates into typed models."""
