"""Every route of the web. Records and households are named by ID or address, never by a file path."""

from __future__ import annotations

from django.urls import path

from hudang.pipeline.web.views import (
    api,
    auth,
    dunning,
    errors,
    households,
    pending,
    records,
    reports,
    search,
    status,
    upload,
    worklist,
)

urlpatterns = [
    path("login/", auth.Login.as_view(), name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("", search.search, name="search"),
    path("households/", households.pick, name="household_pick"),
    path("households/<str:estate>/<str:key>/", households.show, name="household"),
    path("records/<str:record_id>/", records.show, name="record"),
    path("records/<str:record_id>/reveal/", records.reveal, name="record_reveal"),
    path("records/<str:record_id>/original/<int:version>/", records.original, name="record_original"),
    path("records/<str:record_id>/attachment/<int:n>/", records.attachment, name="record_attachment"),
    path("upload/", upload.upload, name="upload"),
    path("pending/", worklist.pending, name="pending"),
    path("pending/quarantine/<str:qid>/file/", worklist.quarantine_file, name="quarantine_file"),
    path("pending/quarantine/<str:qid>/retry/", worklist.quarantine_retry, name="quarantine_retry"),
    path("pending/quarantine/<str:qid>/dismiss/", worklist.quarantine_dismiss, name="quarantine_dismiss"),
    path("pending/quarantine/<str:qid>/restore/", worklist.quarantine_restore, name="quarantine_restore"),
    path("pending/scans/<str:scan_id>/thumb/", worklist.scan_thumb, name="scan_thumb"),
    path("pending/scans/<str:scan_id>/assign/", worklist.scan_assign, name="scan_assign"),
    path("pending/review/<str:record_id>/", worklist.review, name="review"),
    path("pending/review/<str:record_id>/crop/<str:field>/", worklist.review_crop, name="review_crop"),
    path("dunning/", dunning.page, name="dunning"),
    path("dunning/generate/", dunning.generate, name="dunning_generate"),
    path("dunning/runs/<str:run_id>/<str:kind>/", dunning.run_file, name="dunning_run_file"),
    path("dunning/reminder/", dunning.add_reminder, name="dunning_reminder"),
    path("dunning/track/", dunning.track, name="dunning_track"),
    path("reports/", reports.page, name="reports"),
    path("reports/<str:month>/<str:estate>/write/", reports.write, name="report_write"),
    path("reports/<str:month>/<str:estate>/issue/", reports.issue, name="report_issue"),
    path("reports/<str:month>/<str:estate>/register/", reports.register, name="report_register"),
    path("reports/<str:month>/<str:estate>/file/<str:kind>/", reports.download, name="report_file"),
    path("reports/<str:month>/<str:estate>/edition/<int:edition>/<str:kind>/", reports.download,
         name="report_edition_file"),
    path("reports/<str:month>/<str:estate>/chart/<str:chart_id>.png", reports.chart, name="report_chart"),
    path("status/", status.page, name="status"),
    path("status/verify/", status.verify, name="status_verify"),
    *(path(f"{name}/", pending.page_for(name), name=name) for name in pending.NOT_BUILT),
    path("api/v1/search", api.search, name="api_search"),
    path("api/v1/households/<str:estate>/<str:key>", api.household, name="api_household"),
    path("api/v1/records/<str:record_id>", api.record, name="api_record"),
    path("api/v1/ingest", api.upload, name="api_ingest"),
    path("api/v1/due", api.due, name="api_due"),
    path("api/v1/fees/arrears", api.arrears, name="api_arrears"),
    path("api/v1/<path:rest>", api.unknown),
]

handler400 = errors.bad_request
handler403 = errors.forbidden
handler404 = errors.not_found
handler500 = errors.server_error
