from pathlib import Path
from tests.reports.test_sharing import world, signed_in, share  # noqa: F401

OUT = Path("/tmp/sharing_shots")


def test_dump(app, world, signed_in):
    hidden = share(signed_in, world, label="Styrelsen", hide_personal="1")
    share(signed_in, world, label="Förvaltningen", expires_on="2027-03-31")
    anonymous = app.test_client()
    html = anonymous.get(f"/r/{hidden}").get_data(as_text=True)
    (OUT / "public.html").write_text(html.replace('"/static/', '"file:///work/wt/sharing/panel/static/'))
    gone = anonymous.get("/r/" + "x" * 43).get_data(as_text=True)
    (OUT / "gone.html").write_text(gone.replace('"/static/', '"file:///work/wt/sharing/panel/static/'))
    page = signed_in.get(f"/app/reports/{world.report_id}/share").get_data(as_text=True)
    (OUT / "share.html").write_text(page.replace('"/static/', '"file:///work/wt/sharing/panel/static/'))
    (OUT / "report.pdf").write_bytes(anonymous.get(f"/r/{hidden}/report.pdf").data)
    (OUT / "staff.pdf").write_bytes(signed_in.get(f"/app/reports/{world.report_id}/report.pdf").data)
