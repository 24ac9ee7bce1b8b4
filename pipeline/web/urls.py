"""Every route of the web. Records and households are named by ID or address, never by a file path."""

from __future__ import annotations

from django.urls import path

from hudang.pipeline.web.views import (
    auth,
    due,
    entry,
    errors,
    household_actions,
    households,
    pending,
    record_actions,
    records,
    search,
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
    # webrecords: 新建 / 更正 / 结案·回访, record actions, 户档 buttons, 今日待办
    path("households/<str:estate>/<str:key>/new/", entry.choose, name="record_choose"),
    path("households/<str:estate>/<str:key>/new/<str:form_id>/", entry.new, name="record_new"),
    path("households/<str:estate>/<str:key>/summary/<str:fmt>/", household_actions.summary, name="household_summary"),
    path("households/<str:estate>/<str:key>/blank/", household_actions.blank, name="household_blank"),
    path("households/<str:estate>/<str:key>/export/", household_actions.export, name="household_export"),
    path("households/<str:estate>/<str:key>/export/<str:export_id>/<str:part>/", household_actions.export_file,
         name="household_export_file"),
    path("households/<str:estate>/<str:key>/certificate/", household_actions.certificate,
         name="household_certificate"),
    path("households/<str:estate>/<str:key>/moveout/", household_actions.moveout, name="household_moveout"),
    path("households/<str:estate>/<str:key>/lend/", household_actions.lend, name="household_lend"),
    path("households/<str:estate>/<str:key>/lend/<str:loan_id>/return/", household_actions.lend_return,
         name="household_lend_return"),
    path("records/<str:record_id>/edit/", entry.edit, name="record_edit"),
    path("records/<str:record_id>/act/<str:action_id>/", entry.act, name="record_act"),
    path("records/<str:record_id>/move/", record_actions.move, name="record_move"),
    path("records/<str:record_id>/void/", record_actions.void, name="record_void"),
    path("records/<str:record_id>/attach/", record_actions.attach, name="record_attach"),
    path("due/", due.page, name="due"),
    *(path(f"{name}/", pending.page_for(name), name=name) for name in pending.NOT_BUILT),
]

handler400 = errors.bad_request
handler403 = errors.forbidden
handler404 = errors.not_found
handler500 = errors.server_error
