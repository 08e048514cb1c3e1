"""Placeholder router until its issue lands."""
from fastapi import APIRouter

router = APIRouter()
