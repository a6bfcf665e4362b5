"""The web application of the hub (`interchange serve`): the partner portal, the steward console,
the ministry's view and the upload API, on the same library as the command line.

- `app.create_app(workspace, engine=None)`: the FastAPI application.
- `dependencies`: what routes depend on: `current_user`, `require_role(...)`, `require_org`,
  `check_csrf`, `audit(request, action, ...)`, `hub` (workspace + engine).
- `pages`: `render(request, template, **context)` in the reader's language; `see_other(url)`.
- `accounts`, `sessions`, `throttle`, `tokens`, `audit`: accounts and roles, server-side sessions,
  login throttling, per-organisation API tokens and the audit trail (tables in the warehouse).
- `login`, `partner`, `steward`, `ministry`, `api`: one APIRouter per area.
"""
