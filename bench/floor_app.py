"""The floor: a bare FastAPI app answering GET /hello with the same JSON as the bench handler.

Run as `uvicorn floor_app:app` with one worker; every other row of the table is a ratio to it.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    """The same document the bench project's Lambda handler returns."""
    return {"message": "hello world"}
