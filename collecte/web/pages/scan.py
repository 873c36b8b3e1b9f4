"""The scan pages: `/d/{tag}` (the label's QR opens it) and `/scan`, batch mode for a pile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from msgspec import Struct

from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.errors import NotFound
from collecte.domain.lifecycle import LifecycleError
from collecte.domain.tags import display
from collecte.domain.vocabulary import Action, Category, Role
from collecte.i18n import msg, say
from collecte.services import (
    accounts,
    blank_tags,
    certificates,
    corrections,
    devices,
    erasure_reports,
    labels,
    scanning,
    transitions,
    treatment_operators,
    workshops,
)
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, failures_of, message_of
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import current_principal, require_principal
from collecte.web.statuses import status_of

_ACTIONS = {action.value for action in Action}


async def action_options(principal: Principal, actions: Iterable[str]) -> dict[str, Any]:
    """The choices the actions' forms offer: destination workshops, associations, and the
    treatment operators a recycling is handed to."""
    wanted = set(actions)
    options: dict[str, Any] = {}
    if principal.role is Role.COORDINATOR:
        if "collect" in wanted:
            options["reconditioners"] = await accounts.list_organizations(
                principal, "reconditioner"
            )
        if "allocate" in wanted:
            options["associations"] = await accounts.list_organizations(principal, "association")
    # A return or a transfer names a workshop, whoever does it.
    if wanted & {"return", "transfer"} and "reconditioners" not in options:
        options["reconditioners"] = await workshops.workshops()
    if "recycle" in wanted:
        options["treatment_operators"] = await treatment_operators.active_operators()
    return options


async def visible_certificates(
    request: Request[Any, Any, Any], principal: Principal, numbers: Iterable[str | None]
) -> set[str]:
    """Those of `numbers` the user may download (the others are shown without a link)."""
    public_url = request.app.state.settings.public_url
    visible = set()
    for number in {n for n in numbers if n}:
        try:
            await certificates.get_certificate(principal, number, public_url)
        except NotFound:
            continue
        visible.add(number)
    return visible


def _context(request: Request[Any, Any, Any]) -> transitions.Context:
    return transitions.Context(request.app.state.settings, None)


async def _device_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    tag: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    device = await devices.get_device(principal, tag)
    numbers = [event["certificate_number"] for event in device["events"]]
    return render(
        request,
        "scan/device.html",
        status_code=status_code,
        principal=principal,
        device=device,
        # When the status shown was read: the phone keeps the newest status it saw.
        seen=now().isoformat(),
        options=await action_options(principal, device["allowed_actions"]),
        may_correct=corrections.may_edit_device(principal, device["donor"]["id"]),
        categories=[category.value for category in Category],
        stocks=labels.list_formats(request.app.state.settings),
        downloadable=await visible_certificates(
            request, principal, [*numbers, context.get("certificate")]
        ),
        **context,
    )


@get(["/d/{tag:str}", "/D/{tag:str}"], name="device_page")
async def device_page(
    request: Request[Any, Any, Any],
    tag: FromPath[str],
    fait: FromQuery[str | None] = None,
    certificat: FromQuery[str | None] = None,
    corrige: FromQuery[str | None] = None,
    associe: FromQuery[str | None] = None,
) -> Template:
    """The device, its history, and one button per action the user may perform now."""
    principal = require_principal(request)
    done = fait if fait in _ACTIONS else None
    try:
        return await _device_page(
            request,
            principal,
            tag,
            done=done,
            certificate=certificat if done else None,
            corrected=bool(corrige),
            bound=bool(associe),
        )
    except NotFound as error:
        # A blank label stuck on a device not registered yet: those who register devices
        # bind it here; everyone else reads who can.
        if error.code != "blank_tag" or principal.role not in blank_tags.BINDERS:
            raise
        return await _bind_page(request, principal, devices.parse_code(tag, "tag"))


async def _bind_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    tag: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """The form binding a blank label to a new device of one of the user's donations."""
    return render(
        request,
        "scan/bind.html",
        status_code=status_code,
        principal=principal,
        tag=tag,
        label=display(tag),
        donations=await blank_tags.recent_donations(principal),
        categories=[category.value for category in Category],
        values=context.pop("values", {}),
        **context,
    )


@post(["/d/{tag:str}/associer", "/D/{tag:str}/associer"], name="bind_blank", status_code=200)
async def bind_blank(request: Request[Any, Any, Any], tag: FromPath[str]) -> Response[Any]:
    """Register the device wearing a blank label; then its page, ready for the next step."""
    principal = require_principal(request)
    form = await request.form()
    values = {key: str(form.get(key) or "").strip() for key in _BIND_FIELDS}
    device = {key: values[key] for key in _BIND_FIELDS[1:] if values[key]}
    donation_id = values["donation_id"]
    try:
        bound = await blank_tags.bind(
            principal,
            tag,
            int(donation_id) if donation_id.isdigit() else None,
            device,
        )
    except PAGE_ERRORS as error:
        canonical = await blank_tags.unbound(tag)
        if canonical is None or principal.role not in blank_tags.BINDERS:
            raise
        return await _bind_page(
            request,
            principal,
            canonical,
            status_code=status_of(error),
            error=message_of(request, error),
            values=values,
        )
    return Redirect(f"/d/{bound['tag']}", query_params={"associe": "1"}, status_code=303)


# The binding form's fields: the donation, then the device's own.
_BIND_FIELDS = ("donation_id", "category", "brand", "model", "serial_number")


@get(["/d/{tag:str}/etiquette", "/D/{tag:str}/etiquette"], name="device_label_pdf")
async def device_label_pdf(
    request: Request[Any, Any, Any],
    tag: FromPath[str],
    format: FromQuery[str | None] = None,
) -> Response[Any]:
    """The device's label as a PDF on the chosen stock (the thermal roll by default)."""
    principal = require_principal(request)
    pdf = await labels.device_label(
        principal, request.app.state.settings, tag, format, 0, language=language_of(request)
    )
    return Response(
        pdf.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf.filename}"'},
    )


# The device page with a message, for the correction form's answers (`pages.corrections`).
device_page_response = _device_page


@post(["/d/{tag:str}", "/D/{tag:str}"], name="device_action", status_code=200)
async def device_action(request: Request[Any, Any, Any], tag: FromPath[str]) -> Response[Any]:
    """Perform the action of the submitted form; back to the device page (or its error)."""
    principal = require_principal(request)
    form = await request.form()
    payload = forms.action_payload(form)
    if forms.text(form, "more_rows"):  # "Ajouter un support": the same form, one row longer
        return await _device_page(
            request, principal, tag, failed_action=payload["action"], values=dict(form.items())
        )
    if forms.text(form, "read_report"):  # "Lire le rapport": the wipe form filled from it
        return await _read_report(request, principal, tag, form)
    try:
        result = await transitions.act_on_device(principal, tag, payload, _context(request))
    except PAGE_ERRORS as error:
        return await _device_page(
            request,
            principal,
            tag,
            status_code=status_of(error),
            error=message_of(request, error),
            failed_action=payload["action"],
            values=dict(form.items()),
        )
    query = {"fait": payload["action"]}
    if result["certificate"]:
        query["certificat"] = result["certificate"]["number"]
    return Redirect(f"/d/{result['tag']}", query_params=query, status_code=303)


async def _read_report(
    request: Request[Any, Any, Any], principal: Principal, tag: str, form: Any
) -> Template:
    """File the erasure tool's report chosen in the wipe form, then show the form filled with
    the media it holds, for the operator to check and complete before recording the wipe."""
    typed = {key: value for key, value in form.items() if isinstance(value, str)}
    upload = form.get("report")
    filename = upload.filename if isinstance(upload, UploadFile) else None
    try:
        report = await erasure_reports.upload_report(
            principal, tag, await forms.upload_bytes(form, "report"), filename
        )
    except PAGE_ERRORS as error:
        return await _device_page(
            request,
            principal,
            tag,
            status_code=status_of(error),
            error=message_of(request, error),
            failed_action=Action.WIPE.value,
            values=typed,
        )
    kept = {key: value for key, value in typed.items() if not key.startswith("media-")}
    language = language_of(request)
    return await _device_page(
        request,
        principal,
        tag,
        failed_action=Action.WIPE.value,
        values={**kept, **report["form"]},
        report={**report, "warnings": [say(language, w) for w in report["warnings"]]},
    )


async def _batch_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    action: str | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    actions = [a.value for a in scanning.batch_actions(principal)]
    chosen = action if action in actions else None
    language = language_of(request)
    refusals = {
        kind: {status: say(language, sentence) for status, sentence in said.items()}
        for kind, said in (scanning.offline_refusals(chosen).items() if chosen else ())
    }
    return render(
        request,
        "scan/batch.html",
        status_code=status_code,
        principal=principal,
        actions=actions,
        action=chosen,
        refusals=refusals,
        options=await action_options(principal, [chosen] if chosen else []),
        **context,
    )


@get("/scan", name="batch_page")
async def batch_page(
    request: Request[Any, Any, Any], action: FromQuery[str | None] = None
) -> Template:
    """Choose an action once, then scan label after label."""
    principal = require_principal(request)
    return await _batch_page(request, principal, action, codes=[])


class ScanCheck(Struct, kw_only=True):
    """One scanned code, the batch's action, and the tags already in the batch."""

    code: str
    action: str
    scanned: list[str] = []


@post("/scan/verifier", name="batch_check", status_code=200)
async def batch_check(request: Request[Any, Any, Any], data: JSONBody[ScanCheck]) -> Response[Any]:
    """Whether a scanned label may join the batch: accepted, already scanned, or refused (why)."""
    principal = current_principal(request)
    language = language_of(request)
    if principal is None:
        message = say(language, msg("Session expirée : reconnectez-vous."))
        return Response({"result": "signed_out", "message": message}, status_code=401)
    try:
        minimum = request.app.state.settings.programme.reuse_minimum
        answer = await scanning.check_scan(principal, data.code, data.action, data.scanned, minimum)
    except LifecycleError as error:
        refused = {"result": "refused", "message": message_of(request, error)}
        return Response(refused, status_code=422)
    answer["message"] = say(language, answer["message"])
    answer["seen"] = now().isoformat()  # the phone keeps the newest status it saw (offline.js)
    return Response(answer)


@post("/scan", name="batch_finish", status_code=200)
async def batch_finish(request: Request[Any, Any, Any]) -> Template:
    """ "Terminer": one transition for every scanned label, all or nothing."""
    principal = require_principal(request)
    form = await request.form()
    payload = {**forms.action_payload(form), "tags": forms.codes(form)}
    if forms.text(form, "more_rows"):  # "Ajouter un support": the same form, one row longer
        return await _batch_page(
            request, principal, payload["action"], codes=payload["tags"], values=dict(form.items())
        )
    try:
        result = await transitions.act_on_batch(principal, payload, _context(request))
    except PAGE_ERRORS as error:
        return await _batch_page(
            request,
            principal,
            payload["action"],
            status_code=status_of(error),
            error=message_of(request, error),
            failures=failures_of(request, error),
            codes=payload["tags"],
            values=dict(form.items()),
        )
    numbers = [c["number"] for c in result["certificates"]]
    return render(
        request,
        "scan/batch_done.html",
        principal=principal,
        result=result,
        downloadable=await visible_certificates(request, principal, numbers),
    )


ROUTES = [
    device_page,
    device_action,
    bind_blank,
    device_label_pdf,
    batch_page,
    batch_check,
    batch_finish,
]
