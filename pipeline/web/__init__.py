"""The web interface (`hudang serve`): a second door onto the application layer, in Django.

Like the CLI, the web only parses, calls one `hudang.pipeline.app` function and renders; it holds no rule.
A request opens a `Session` on the data home for the logged-in user (the audit log's user).

Where things are:
- `conf.py`     the Django settings module, built from the data home (`config.toml` `[web]`, defaults in hudang/settings.py
                KEYS), `setup(root)` to start Django once per process, `migrate()` for `<home>/web.sqlite3`.
- `wsgi.py`     the WSGI application gunicorn runs (`hudang serve`, pipeline/web/server.py builds the command).
- `models.py`   the user profile (roles, estate limits, API-token hash) beside Django's auth User.
- `access.py`   what the logged-in person may do: `requires(capability)` for views, the estate check, the
                request's Session. The roles→capabilities table itself is `pipeline/app/roles.py`.
- `middleware.py` HudangError → Chinese error page with a status code; Secure cookies over TLS.
- `signals.py`  logins, logouts and failed logins written to the audit log.
- `urls.py`     every route; `views/` one module per page group (auth, search, households, records, errors,
                dunning = 催缴, reports = 月报, status = 状态, upload = 上传, worklist = 待处理; entry =
                新建/更正/结案·回访 from the form definitions; record_actions = move/void/attach;
                household_actions = the 户档 buttons; due = 今日待办; pending = 建设中 places for pages not built
                yet; api = `/api/v1/`, token auth, the CLI's JSON); `forms.py` the Django forms.
- `templates/web/` the pages (base.html holds the top nav); `static/web/` CSS (and any vendored JS), served by
                whitenoise. No inline scripts or styles: the CSP forbids them.
A new page: a view module in `views/`, a route in `urls.py`, a template extending `web/base.html`, its
capability in `pipeline/app/roles.py`, and its nav entry in `NAV` (views/__init__.py).
"""
