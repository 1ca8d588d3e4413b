"""lambdock's Python runtime client: polls the Lambda Runtime API and runs the user's handler.

It runs inside an execution environment on any Python 3.9+ and uses only the standard library.
From the handler's point of view it behaves like AWS's awslambdaric.
"""

__version__ = "0.1.0"
