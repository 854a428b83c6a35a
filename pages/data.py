"""Data (analysts): import files, check what was imported, manage datasets, download templates."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from custlib import audit, datasets, db
from custlib import io as custio
from custlib.errors import CustlibError, ImportRejected, NeedsDecision
from ui import auth, data, report, state, templates
from ui import format as fmt
from ui.i18n import error_text, language, option_labels, t, t_or
from ui.entry import through_app

through_app(__file__)
auth.require("can_import_and_delete")

TABLES = list(db.TABLE_COLUMNS)
NOT_IN_FILE = ""  # the mapping choice for a field the file does not have
HEADER_CHOICES = {"auto": None, "yes": True, "no": False}


def reset_form(signature: tuple, file_name: str, table: str, guess: dict, names: list[str]) -> None:
    """A new file, table or header choice: fill the form with the automatic guess again."""
    st.session_state[state.DATA_SIGNATURE] = signature
    for field in db.TABLE_COLUMNS[table]:
        st.session_state[f"data_map_{field}"] = guess.get(field, NOT_IN_FILE)
    st.session_state["data_new_name"] = Path(file_name).stem[:100]  # the longest dataset name
    st.session_state["data_target"] = "existing" if table != "transactions" and names else "new"
    st.session_state.pop(state.DATA_DECISION, None)
    st.session_state.pop(state.DATA_RESULT, None)


def mapping_form(table: str, headers: list[str]) -> dict[str, str]:
    st.markdown(f"**{t('data_mapping_heading')}**")
    st.caption(t("data_mapping_help"))
    mapping = {}
    slots = st.columns(3)
    for number, field in enumerate(db.TABLE_COLUMNS[table]):
        required = field in db.REQUIRED_COLUMNS[table]
        label = t(f"field_{field}") + (" *" if required else "")
        mapping[field] = slots[number % 3].selectbox(
            label, [NOT_IN_FILE, *headers], key=f"data_map_{field}", help=t("data_field_help", column=field),
            format_func=lambda header, none=t("data_not_in_file"): header or none)
    return mapping


def mapping_problems(table: str, mapping: dict[str, str]) -> list[str]:
    problems = [t("data_required_missing", field=t(f"field_{f}"))
                for f in db.REQUIRED_COLUMNS[table] if mapping[f] == NOT_IN_FILE]
    used: dict[str, str] = {}
    for field, header in mapping.items():
        if header != NOT_IN_FILE and header in used:
            problems.append(t("data_column_twice", column=header, first=t(f"field_{used[header]}"),
                              second=t(f"field_{field}")))
        used.setdefault(header, field)
    return problems


def run_import(path: Path, file_name: str, table: str, dataset: str, mapping: dict[str, str], options: dict) -> None:
    with st.status(t("data_importing", file=file_name)) as status:
        try:
            result = {"ok": True, "report": custio.import_file(
                data.get_conn(), path, dataset=dataset, table=table, mapping=mapping, original_name=file_name,
                actor=auth.actor(), **options)}
            status.update(label=t("data_import_done"), state="complete")
        except NeedsDecision as exc:
            st.session_state[state.DATA_DECISION] = {"option": exc.option, "choices": exc.choices,
                                                     "message": exc.text(language())}
            st.rerun()
        except ImportRejected as exc:
            result = {"ok": False, "message": exc.text(language()), "report": exc.report}
        except CustlibError as exc:
            result = {"ok": False, "message": exc.text(language()), "report": None}
    st.session_state[state.DATA_RESULT] = result
    if result["ok"]:
        st.session_state.pop(state.DATA_DECISION, None)
        st.session_state[state.DATA_IMPORTED_INTO] = result["report"].dataset
    st.rerun()  # redraw the sidebar and the dataset table with the new data


def target_dataset(names: list[str]) -> tuple[str, list[str]]:
    """The dataset the file goes into, and why it cannot (a new name that is taken)."""
    if imported := state.pop(state.DATA_IMPORTED_INTO):  # after an import the file's dataset exists
        st.session_state["data_target"], st.session_state["data_existing"] = "existing", imported
    if st.session_state.get("data_target") == "existing" and not names:
        st.session_state["data_target"] = "new"
    target = st.radio(t("data_target_label"), ["new", "existing"] if names else ["new"], horizontal=True,
                      format_func=option_labels("data_target_", ["new", "existing"]), key="data_target")
    if target == "existing":
        if st.session_state.get("data_existing") not in names:
            st.session_state["data_existing"] = data.active_dataset().name
        return st.selectbox(t("data_existing_label"), names, key="data_existing"), []
    name = st.text_input(t("data_new_name_label"), key="data_new_name")
    return name, [t("data_name_taken", dataset=name.strip())] if name.strip() in names else []


def import_options(header_choice: str) -> dict:
    """The keyword arguments of custlib.io.import_file chosen on the form, and a pending decision."""
    st.markdown(f"**{t('data_options_heading')}**")
    col1, col2, col3 = st.columns(3)
    options = {
        "has_header": HEADER_CHOICES[header_choice],
        "strict": col1.checkbox(t("data_strict_label"), key="data_strict", help=t("data_strict_help")),
        "drop_duplicates": col2.checkbox(t("data_dedupe_label"), key="data_dedupe", help=t("data_dedupe_help")),
        "append": col3.radio(t("data_mode_label"), ["replace", "append"], horizontal=True, key="data_mode",
                             format_func=option_labels("data_mode_", ["replace", "append"]),
                             help=t("data_mode_help")) == "append",
    }
    if decision := st.session_state.get(state.DATA_DECISION):  # asked only after custlib raised NeedsDecision
        st.warning(f"{t('data_decision_needed')}\n\n{decision['message']}", icon=":material/help:")
        option, choices = decision["option"], decision["choices"]
        options[option] = st.radio(t_or(f"data_decision_{option}", option), choices, key=f"data_decision_{option}",
                                   format_func=option_labels("choice_", choices), horizontal=True)
    return options


def import_section() -> None:
    st.subheader(t("data_import_heading"))
    names = [d.name for d in data.datasets()]
    left, right = st.columns([2, 1])
    uploaded = left.file_uploader(t("data_upload_label"), type=["csv", "tsv", "txt", "xlsx", "parquet"],
                                  key="data_upload", help=t("data_upload_help"))
    table = right.selectbox(t("data_table_label"), TABLES, format_func=option_labels("table_", TABLES),
                            key="data_table")
    header_choice = right.radio(t("data_header_label"), list(HEADER_CHOICES), horizontal=True,
                                format_func=option_labels("data_header_", HEADER_CHOICES), key="data_header")
    if uploaded is None:
        data.forget_upload()
        st.caption(t("data_upload_hint"))
        return
    path = data.upload_path(uploaded)
    try:
        frame, guess, headers = data.preview(str(path), uploaded.file_id, table, HEADER_CHOICES[header_choice],
                                             uploaded.name)
    except CustlibError as exc:
        st.error(f"{error_text(exc)}\n\n{t('report_db_unchanged')}", icon=":material/error:")
        return
    signature = (uploaded.file_id, table, header_choice)
    if st.session_state.get(state.DATA_SIGNATURE) != signature:
        reset_form(signature, uploaded.name, table, guess, names)
    st.markdown(f"**{t('data_preview_heading')}**")
    row_label = t("data_preview_row")  # the first column: the row number in the file
    frame.columns = [row_label + " #" * (row_label in headers), *headers]
    st.dataframe(frame, hide_index=True, height=min(36 * (len(frame) + 1) + 3, 300), key="data_preview")

    dataset, problems = target_dataset(names)
    mapping = mapping_form(table, headers)
    options = import_options(header_choice)
    problems += mapping_problems(table, mapping)
    for problem in problems:
        st.warning(problem, icon=":material/warning:")
    if st.button(t("data_import_button"), key="data_import", type="primary", disabled=bool(problems)):
        run_import(path, uploaded.name, table, dataset, mapping, options)
    if result := st.session_state.get(state.DATA_RESULT):
        report.show_result(result)
        active = data.active_dataset()
        if result["ok"] and active is not None and result["report"].dataset != active.name:
            st.info(t("data_not_active", dataset=result["report"].dataset), icon=":material/swap_horiz:")


def flash(kind: str, message: str) -> None:
    st.session_state[state.DATA_FLASH] = (kind, message)
    st.rerun()


def datasets_section() -> None:
    st.subheader(t("data_datasets_heading"))
    info = data.dataset_info()
    if info.empty:
        st.caption(t("data_no_datasets"))
        return
    report.show_datasets(info)
    names = info["name"].tolist()
    active = data.active_dataset()
    if st.session_state.get("data_manage_name") not in names:
        st.session_state["data_manage_name"] = active.name
    chosen = st.selectbox(t("data_manage_label"), names, key="data_manage_name")
    col1, col2, col3 = st.columns(3)
    try:
        default = next(d for d in data.datasets() if d.is_active)
        if col1.button(t("data_make_active"), key="data_make_active", disabled=chosen == default.name):
            datasets.set_active(data.get_conn(), chosen, actor=auth.actor())
            flash("success", t("data_now_active", dataset=chosen))
        new_name = col2.text_input(t("data_rename_label"), key="data_rename_to")
        if col2.button(t("data_rename_button"), key="data_rename", disabled=not new_name.strip()):
            datasets.rename_dataset(data.get_conn(), chosen, new_name, actor=auth.actor())
            flash("success", t("data_renamed", old=chosen, new=new_name.strip()))
        # Keyed by dataset: the tick never carries over to another dataset, and goes away with the deleted one.
        confirmed = col3.checkbox(t("data_delete_confirm", dataset=chosen), key=f"data_delete_confirm_{chosen}")
        if col3.button(t("data_delete_button"), key="data_delete", disabled=not confirmed):
            datasets.delete_dataset(data.get_conn(), chosen, actor=auth.actor())
            flash("success", t("data_deleted", dataset=chosen))
    except CustlibError as exc:
        st.error(error_text(exc), icon=":material/error:")

    st.subheader(t("data_quality_heading", dataset=active.name))
    report.show_quality(data.data_quality(active.cache_key))


AUDIT_ROWS = 500  # newest entries shown for the chosen filters


def audit_section() -> None:
    with st.expander(t("audit_heading"), icon=":material/history:"):
        st.caption(t("audit_caption"))
        who, what, when = st.columns([1, 2, 1])
        user = who.text_input(t("audit_filter_user"), key="audit_filter_user").strip() or None
        actions = what.multiselect(t("audit_filter_actions"), list(audit.ACTIONS), key="audit_filter_actions",
                                   format_func=lambda action: t(f"audit_action_{action}"),
                                   placeholder=t("filter_any"))
        days = when.date_input(t("audit_filter_dates"), value=(), key="audit_filter_dates", format="YYYY-MM-DD")
        since, until = (tuple(days) + (None, None))[:2] if days else (None, None)
        entries = data.audit_log(AUDIT_ROWS, user=user, actions=tuple(actions) or None, since=since,
                                 until=until or since)
        report.show_audit_log(entries)
        if len(entries) == AUDIT_ROWS:
            st.caption(t("audit_more", rows=fmt.number(AUDIT_ROWS)))


def templates_section() -> None:
    st.subheader(t("data_templates_heading"))
    st.caption(t("data_templates_help"))
    for slot, table in zip(st.columns(len(TABLES)), TABLES):
        slot.download_button(t(f"data_template_{table}"), templates.template_csv(table),
                             file_name=f"{table}_template.csv", mime="text/csv", key=f"data_template_{table}",
                             icon=":material/download:")


st.title(t("data_title"))
st.caption(t("data_intro"))
if message := state.pop(state.DATA_FLASH):
    getattr(st, message[0])(message[1])
import_section()
st.divider()
datasets_section()
audit_section()
st.divider()
templates_section()
