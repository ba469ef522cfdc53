"""The review desk: a local web app over the same services as the CLI (``evidence serve``).

``create_app(context)`` (:mod:`evidence.web.app`) builds it; :mod:`evidence.web.auth` holds
the one-time login tokens and the reviewer's identity in the session; ``views/`` has one
module per page kind (home, queue, card, report), each parsing the request, calling one
service of :mod:`evidence.services.desk` (or the report's) and rendering a template.
"""

from evidence.web.app import create_app, desk_state

__all__ = ["create_app", "desk_state"]
