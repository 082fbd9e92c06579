"""End to end, in a real headless Chromium: an admin imports a CSV of new applications as a
person does it: choose the file, read the preview, confirm, follow the job to its end, then
open one of the imported clients with its score."""

from __future__ import annotations

import csv
import random
import re

import pytest

from tests.webapp.browsing import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_login_limit")]


def _new_applications(seed_csv, folder, count: int) -> tuple[str, list[int]]:
    """``count`` rows of the seed file under IDs nobody has (the import refuses known IDs)."""
    with open(seed_csv, newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        rows = [row for _, row in zip(range(count), reader, strict=False)]
        header = reader.fieldnames
    first = 900_000_000 + random.randrange(10**6) * 10
    ids = [first + k for k in range(count)]
    for row, new_id in zip(rows, ids, strict=True):
        row["SK_ID_CURR"] = str(new_id)
    path = folder / "nouveaux-dossiers.csv"
    with open(path, "w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return str(path), ids


def test_an_admin_imports_a_file_follows_the_job_and_opens_a_new_client(
        page, live_server, user_emails, password, seed_csv, tmp_path):
    path, ids = _new_applications(seed_csv, tmp_path, 3)
    sign_in(page, live_server, user_emails["admin"], password)

    page.goto(f"{live_server}/admin/import")
    page.locator("input[type=file]").set_input_files(path)
    page.get_by_role("button", name="Vérifier le fichier").click()
    assert "3 dossiers prêts à être importés" in page.get_by_test_id("import-valid").inner_text()
    assert str(ids[0]) in page.locator("table").first.inner_text()  # the preview's rows

    page.get_by_role("button", name="Importer les 3 dossiers").click()
    page.wait_for_url(re.compile(r".*/admin/jobs/\d+$"))
    job = page.get_by_test_id("job")
    page.wait_for_function("document.querySelector('[data-testid=job]')"
                           ".dataset.status === 'done'")
    assert "Import terminé : 3 dossiers importés." in job.inner_text()

    page.goto(f"{live_server}/clients/{ids[1]}")
    verdict = page.locator("#decision .verdict").inner_text()
    assert re.search(r"Accordé|Refusé", verdict), verdict
    assert page.errors == []
