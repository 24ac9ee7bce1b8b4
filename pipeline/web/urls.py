"""Every route of the web. Records and households are named by ID or address, never by a file path."""

from __future__ import annotations

from django.urls import include, path

from hudang.pipeline.web.views import (
    api,
    auth,
    due,
    dunning,
    entry,
    errors,
    household_actions,
    households,
    loans,
    pending,
    record_actions,
    records,
    reports,
    search,
    status,
    upload,
    worklist,
)

household_urls = [   # the 户档 page's buttons: households/<estate>/<key>/…
    path("new/", entry.choose, name="record_choose"),
    path("new/<str:form_id>/", entry.new, name="record_new"),
    path("summary/<str:fmt>/", household_actions.summary, name="household_summary"),
    path("blank/", household_actions.blank, name="household_blank"),
    path("export/", household_actions.export, name="household_export"),
    path("export/<str:export_id>/<str:part>/", household_actions.export_file, name="household_export_file"),
    path("certificate/", household_actions.certificate, name="household_certificate"),
    path("moveout/", household_actions.moveout, name="household_moveout"),
    path("lend/", household_actions.lend, name="household_lend"),
    path("lend/<str:loan_id>/return/", household_actions.lend_return, name="household_lend_return"),
]

report_urls = [      # a month's report of an estate (or 全部项目): reports/<month>/<estate>/…
    path("write/", reports.write, name="report_write"),
    path("issue/", reports.issue, name="report_issue"),
    path("register/", reports.register, name="report_register"),
    path("file/<str:kind>/", reports.download, name="report_file"),
    path("edition/<int:edition>/<str:kind>/", reports.download, name="report_edition_file"),
    path("chart/<str:chart_id>.png", reports.chart, name="report_chart"),
]

urlpatterns = [
    path("login/", auth.Login.as_view(), name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("", search.search, name="search"),
    path("households/", households.pick, name="household_pick"),
    path("households/<str:estate>/<str:key>/", households.show, name="household"),
    path("records/<str:record_id>/", records.show, name="record"),
    path("records/<str:record_id>/reveal/", records.reveal, name="record_reveal"),
    path("records/<str:record_id>/original/<int:version>/", records.original, name="record_original"),
    path("records/<str:record_id>/original/<int:version>/preview.png", records.original_preview,
         name="record_original_preview"),
    path("records/<str:record_id>/attachment/<int:n>/", records.attachment, name="record_attachment"),
    path("upload/", upload.upload, name="upload"),
    path("upload/scans/", upload.scan_outcomes, name="upload_scans"),
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
    path("reports/<str:month>/<str:estate>/", include(report_urls)),
    path("status/", status.page, name="status"),
    path("status/verify/", status.verify, name="status_verify"),
    # webrecords: 新建 / 更正 / 结案·回访, record actions, 户档 buttons, 今日待办
    path("households/<str:estate>/<str:key>/", include(household_urls)),
    path("records/<str:record_id>/edit/", entry.edit, name="record_edit"),
    path("records/<str:record_id>/act/<str:action_id>/", entry.act, name="record_act"),
    path("records/<str:record_id>/move/", record_actions.move, name="record_move"),
    path("records/<str:record_id>/void/", record_actions.void, name="record_void"),
    path("records/<str:record_id>/attach/", record_actions.attach, name="record_attach"),
    path("due/", due.page, name="due"),
    path("loans/", loans.page, name="loans"),
    *(path(f"{name}/", pending.page_for(name), name=name) for name in pending.NOT_BUILT),
    path("api/v1/search", api.search, name="api_search"),
    path("api/v1/households/<str:estate>/<str:key>", api.household, name="api_household"),
    path("api/v1/records/<str:record_id>", api.record, name="api_record"),
    path("api/v1/ingest", api.upload, name="api_ingest"),
    path("api/v1/scans/<str:scan_id>", api.scan, name="api_scan"),
    path("api/v1/due", api.due, name="api_due"),
    path("api/v1/fees/arrears", api.arrears, name="api_arrears"),
    path("api/v1/<path:rest>", api.unknown),
]

handler400 = errors.bad_request
handler403 = errors.forbidden
handler404 = errors.not_found
handler500 = errors.server_error
