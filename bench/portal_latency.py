"""Server-side latency of the client page, with N clients in the database (default 300k).

Measures, in-process (Flask test client, no network), for random clients:
- choosing a client → score + waterfall + reasons rendered (the decision and reasons
  partials, first view: the explanation cache is cleared before each client);
- the what-if update (a changed credit amount);
- the typeahead and a filtered list page.

Usage: ``python bench/portal_latency.py [--clients 300000] [--samples 200]``.
Targets (issue 3): p95 ≤ 50 ms for the first two.
"""

from __future__ import annotations

import argparse
import random
import re
import time

from portal_common import BENCH_DIR, build_database, percentiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=300_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    BENCH_DIR.mkdir(exist_ok=True)
    db_path = build_database(args.clients, BENCH_DIR / f"portal-{args.clients}.sqlite3")

    from sqlalchemy import select

    from webapp import create_app
    from webapp.accounts.models import User
    from webapp.accounts.service import create_user
    from webapp.clients.models import Client
    from webapp.credit import explanations
    from webapp.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "bench@example.com"))
        if user is None:
            user = create_user(db.session, "bench@example.com", "bench-password-123", "advisor")
            db.session.commit()
        user_id = user.id
        ids = db.session.scalars(select(Client.sk_id_curr)).all()
    rng = random.Random(0)
    chosen = rng.sample(ids, args.samples)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
    htmx = {"HX-Request": "true"}
    client.get(f"/clients/{chosen[0]}/sections/reasons", headers=htmx)  # warm up

    first_view, whatif, typeahead, listing = [], [], [], []
    for sk_id in chosen:
        explanations._cache.clear()
        started = time.perf_counter()
        decision = client.get(f"/clients/{sk_id}/sections/decision", headers=htmx)
        reasons = client.get(f"/clients/{sk_id}/sections/reasons", headers=htmx)
        first_view.append(time.perf_counter() - started)
        assert decision.status_code == reasons.status_code == 200
        form = client.get(f"/clients/{sk_id}/sections/whatif", headers=htmx)
        values = dict(re.findall(r'name="(AMT_\w+|TERM)"[^>]*value="([^"]*)"',
                                 form.get_data(as_text=True)))
        values = {k: v.replace(",", ".") for k, v in values.items()}
        values["AMT_CREDIT"] = str(round(float(values["AMT_CREDIT"]) * 0.8))
        started = time.perf_counter()
        response = client.post(f"/clients/{sk_id}/what-if", data=values, headers=htmx)
        whatif.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        started = time.perf_counter()
        client.get(f"/clients/typeahead?sk_id_curr={str(sk_id)[:4]}", headers=htmx)
        typeahead.append(time.perf_counter() - started)
    for page in range(1, 41):
        started = time.perf_counter()
        client.get(f"/?decision=refused&probability_min=20&page={page}", headers=htmx)
        listing.append(time.perf_counter() - started)

    print(f"clients in the database: {len(ids)}")
    print(f"choose a client -> score + waterfall + reasons: {percentiles(first_view)}")
    print(f"what-if update:                                 {percentiles(whatif)}")
    print(f"typeahead (4 digits):                           {percentiles(typeahead)}")
    print(f"filtered list page (refused, p >= 20 %):        {percentiles(listing)}")


if __name__ == "__main__":
    main()
