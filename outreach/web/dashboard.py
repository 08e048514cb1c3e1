"""Placeholder until the dashboard issue lands."""
from fastapi import FastAPI


def install(app: FastAPI) -> None:
    pass
