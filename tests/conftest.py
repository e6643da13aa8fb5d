"""Shared fixtures."""


def pytest_addoption(parser):
    parser.addoption("--soak", action="store_true", help="run the reliability suite long (1,000 kill -9 rounds, ...)")
