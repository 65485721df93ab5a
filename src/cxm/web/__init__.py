"""Server-rendered dashboard pages, static assets and the first-party tracker."""

from cxm.web.install import install_web

__all__ = ["install_web"]
