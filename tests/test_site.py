"""The site's navigation, outline and search index, without a browser.

One small project is built once: two models, three runs, notebooks that open with a title of
their own and repeat the report's title in an output (as the article notebooks do). The checks
are tools/sitecheck.py's (the browser test and `make screenshots` use the same module); each
guard is also run on a broken copy of the site here, to show that it can fail.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil

import pytest

from conftest import REPO, load_tool, make_project, run_report, write_notebook

sitecheck = load_tool("sitecheck")

pytestmark = pytest.mark.notebook

MANIFEST = """notebooks:
  - path: models/one.ipynb
    kind: model
    title: Quota model
    runs:
      - {id: one-a, parameters: {label: a}}
      - {id: one-b, parameters: {label: b}}
  - path: models/two.ipynb
    kind: model
    title: Rebound model
    runs: [{id: two}]
"""
ORDER = ["one-a", "one-b", "two"]
SHOW = "from IPython.display import HTML, Markdown, display\n"
ONE = [SHOW + "display(Markdown('## The data\\n\\nYears of quotas.'))",
       SHOW + "display(HTML('<h2>Quota model</h2><p>Dysprosium is one of the controlled elements.</p>'))",
       SHOW + "display(Markdown('# Growth\\n\\nRates by year.'))"]
TWO = [SHOW + "display(Markdown('## Counterfactual\\n\\nThe exports of June 2025 against the forecast.'))"]


@pytest.fixture(scope="module")
def nav_site(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("nav-project"), {"models/one.ipynb": ONE}, MANIFEST)
    write_notebook(root / "notebooks" / "models" / "one.ipynb", ONE, title="# How fast do quotas grow?")
    write_notebook(root / "notebooks" / "models" / "two.ipynb", TWO, title="# Rebound model: how deep was the shock")
    shutil.copy(REPO / "CITATION.cff", root / "CITATION.cff")
    proc = run_report(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def site_digest(site) -> dict[str, str]:
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def _broken(site, tmp_path, rel: str, old: str, new: str, count: int = 1):
    """A copy of the site with one edit in one page (the edit must apply)."""
    copy = tmp_path / "broken"
    shutil.copytree(site, copy)
    page = copy / rel
    text = page.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not on {rel}"
    page.write_text(text.replace(old, new, count), encoding="utf-8")
    return copy


def test_navigation_is_sound(nav_site):
    assert sitecheck.structure_problems(nav_site / "site", ORDER) == []


def test_one_h1_the_title_once_and_the_notebook_title_as_subtitle(nav_site):
    page = (nav_site / "site" / "reports" / "one-a.html").read_text(encoding="utf-8")
    facts = sitecheck.PageFacts(page)
    assert facts.h1 == ["Quota model"]
    assert facts.count("Quota model") == 1  # the output's <h2>Quota model</h2> is dropped
    assert '<p class="subtitle" data-pagefind-weight="10">How fast do quotas grow?</p>' in page
    assert "Growth" in facts.headings and "Dysprosium is one of the controlled elements." in page
    two = (nav_site / "site" / "reports" / "two.html").read_text(encoding="utf-8")
    # a subtitle that starts with the title keeps what it adds
    assert '<p class="subtitle" data-pagefind-weight="10">How deep was the shock</p>' in two


def test_contents_list_follows_the_headings(nav_site):
    facts = sitecheck.PageFacts((nav_site / "site" / "reports" / "one-a.html").read_text(encoding="utf-8"))
    assert facts.toc == ["#The-data", "#Growth"]  # the notebook's h1 "Growth" became an h2


def test_previous_and_next_follow_the_manifest(nav_site):
    site = nav_site / "site"
    links = {}
    for run_id in ORDER:
        facts = sitecheck.PageFacts((site / "reports" / f"{run_id}.html").read_text(encoding="utf-8"))
        links[run_id] = ([h for h, c in facts.links if c == "prev"], [h for h, c in facts.links if c == "next"])
    assert links == {"one-a": ([], ["one-b.html"]), "one-b": (["one-a.html"], ["two.html"]), "two": (["one-b.html"], [])}
    page = (site / "reports" / "one-a.html").read_text(encoding="utf-8")
    assert "Quota model (label b)" in page  # runs of one notebook share a title: the pager names the run


def test_each_report_links_data_package_parameters_and_citation(nav_site):
    page = (nav_site / "site" / "reports" / "two.html").read_text(encoding="utf-8")
    assert 'href="../datapackage.json"' in page and (nav_site / "site" / "datapackage.json").is_file()
    assert 'id="parameters"' in page and 'href="#parameters"' in page
    assert 'href="#cite"' in page and 'id="cite"' in page


@pytest.mark.parametrize("rel, old, new, problem", [
    ("data.html", "</h1>", "</h1><h1>Another</h1>", "data.html: 2 h1"),
    ("reports/two.html", '<main id="content"', '<main id="content"><p>Rebound model</p', "stands 2 times"),
    ("reports/one-b.html", 'href="two.html"', 'href="gone.html"', "next link ['gone.html']"),
    ("reports/two.html", 'rel="prev" href="one-b.html"', 'rel="prev" href="one-a.html"', "prev link ['one-a.html']"),
    ("reports/one-a.html", 'href="#Growth"', 'href="#Nowhere"', "contents link #Nowhere lands on nothing"),
    ("reports/one-a.html", 'href="../datapackage.json"', 'href="../data.html"', "no link to the data package"),
    ("reports/one-a.html", 'role="search"', 'role="none"', "one-a.html: no search box"),
])
def test_each_navigation_guard_fails_on_a_broken_copy(nav_site, tmp_path, rel, old, new, problem):
    copy = _broken(nav_site / "site", tmp_path, rel, old, new)
    problems = sitecheck.structure_problems(copy, ORDER)
    assert any(problem in p for p in problems), problems


def test_the_search_index_covers_the_marked_pages_only(nav_site):
    site = nav_site / "site"
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(ORDER) + 1  # reports + data
    assert "data-pagefind-body" not in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "pagefind" / "pagefind.js").is_file() and (site / "search.js").is_file()
    assert not (site / "pagefind" / "pagefind-ui.js").exists()  # Pagefind's own UI is not shipped
    search = (site / "search.html").read_text(encoding="utf-8")
    # file:// cannot load the index: the page's script says what to do there, and only there (search.js)
    assert "make serve" in (site / "search.js").read_text(encoding="utf-8") and "make serve" not in search


def test_a_failed_search_index_leaves_the_previous_site(nav_site, tmp_path, monkeypatch):
    """The index is built inside the site's swap: when Pagefind fails, nothing of this build is published."""
    from nbreport import runner, search

    root = tmp_path / "proj"
    shutil.copytree(nav_site, root)
    before = site_digest(root / "site")
    write_notebook(root / "notebooks" / "models" / "two.ipynb", [SHOW + "print('NEW-OUTPUT')"])
    monkeypatch.setattr(search, "pagefind_binary", lambda: "/bin/false")
    with pytest.raises(runner.BuildError, match=r"search index was not built: Pagefind exited with code 1.*"
                                                r"site/ was left as it was"):
        runner.build(runner.Config.resolve(root=root, quiet=True))
    assert site_digest(root / "site") == before
    assert not list(root.glob(".site.tmp-*"))
    monkeypatch.undo()
    proc = run_report(root)
    assert proc.returncode == 0, proc.stderr
    assert "NEW-OUTPUT" in (root / "site" / "reports" / "two.html").read_text(encoding="utf-8")


def test_an_index_missing_a_page_is_refused(nav_site, tmp_path):
    from nbreport import runner, search

    copy = tmp_path / "site"
    shutil.copytree(nav_site / "site", copy)
    shutil.rmtree(copy / "pagefind")
    assert search.index_site(copy, search.marked_pages(copy)) == len(ORDER) + 1
    with pytest.raises(runner.BuildError, match=r"holds 4 pages, but 5 pages are marked"):
        search.index_site(copy, 5)


def test_script_only_on_the_search_page():
    """Pages run no script; the search page loads the site's own search.js and nothing inline."""
    from nbreport import pages

    text = (pages.TEMPLATES / "search.html.j2").read_text(encoding="utf-8")
    assert re.findall(r"<script\b[^>]*>", text) == ['<script src="{{ rel }}search.js" defer>']


@pytest.mark.parametrize("h1, subtitle", [
    ("The New York Times, 6 June 2025: China allows limited exports of rare earths", "The New York Times, 6 June 2025"),
    ("China Allows Limited Exports of Rare Earths: a check", "A check"),
    ("How deep was the shock?", "How deep was the shock?"),
    ("China allows limited exports of rare earths", ""),
])
def test_outline_keeps_what_a_notebook_title_adds(h1, subtitle):
    from nbreport import outline

    frag = (f'<section class="cell md"><h1 id="t">{h1}<a class="anchor-link" href="#t">\u00b6</a></h1></section>'
            '<div class="re-article-header"><h2>China Allows Limited Exports of Rare Earths</h2></div>'
            '<section class="cell md"><h1>Next part</h1><h2 id="x">Detail</h2><h2>Detail</h2></section>')
    out = outline.outline(frag, "China Allows Limited Exports of Rare Earths")
    assert out.subtitle == subtitle
    assert "<h1" not in out.fragment and "Limited Exports" not in out.fragment
    assert out.contents == [("next-part", "Next part"), ("x", "Detail"), ("detail", "Detail")]


def test_the_repository_site_navigation_is_sound(repo_build):
    """The site readers get: one h1 per page, titles once, contents, previous/next in manifest order."""
    assert repo_build.proc.returncode == 0, repo_build.proc.stdout + repo_build.proc.stderr
    order = [r.id for _, r in repo_build.manifest.runs(site_only=True)]
    assert sitecheck.structure_problems(repo_build.site, order) == []


def test_a_site_with_nothing_marked_for_search_gets_no_index(tmp_path):
    """Pagefind indexes every page whole when none is marked; with nothing to search the build writes no index."""
    from nbreport import search

    (tmp_path / "index.html").write_text("<html><body><main><h1>Reports</h1></main></body></html>")
    assert search.marked_pages(tmp_path) == 0
    assert search.index_site(tmp_path, 0) == 0 and not (tmp_path / "pagefind").exists()


def test_compiled_templates_are_kept_and_an_edited_template_is_compiled_again(tmp_path, monkeypatch):
    """pages.environment keeps Jinja2's compiled templates in the build's cache (about 0.1 s a rebuild);
    an edited template must still show its new text, and each environment has its own folder."""
    import jinja2

    from nbreport import pages

    extra, cache = tmp_path / "templates", tmp_path / "cache"
    extra.mkdir()
    (extra / "probe.html.j2").write_text("first {{ x }}")
    assert pages.environment(extra, cache).get_template("probe.html.j2").render(x=1) == "first 1"
    assert list(cache.iterdir()), "the compiled template was kept"
    with monkeypatch.context() as m:  # a fresh environment renders without compiling: from the cache
        m.setattr(jinja2.Environment, "compile", lambda *a, **k: pytest.fail("compiled again"))
        assert pages.environment(extra, cache).get_template("probe.html.j2").render(x=1) == "first 1"
    (extra / "probe.html.j2").write_text("second {{ x }}")
    assert pages.environment(extra, cache).get_template("probe.html.j2").render(x=2) == "second 2"
    assert pages.bytecode_cache(None) is None
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert pages.bytecode_cache(blocked / "jinja") is None, "a folder that cannot be made means no cache"


def test_a_build_keeps_compiled_templates_per_environment(nav_site):
    folders = {p.name for p in (nav_site / "build" / "cache" / "jinja").iterdir()}
    assert folders == {"site", "nbconvert"}
    for name in folders:
        assert list((nav_site / "build" / "cache" / "jinja" / name).glob("*.cache")), name


def test_an_article_page_names_its_outlet_and_date_once_above_the_boxes(repo_build):
    """A reader at 400 px saw the outlet and date three times before the first box: in the breadcrumb,
    in the notebook's own heading shown as a subtitle, and in the byline. The byline says it once."""
    from helpers import report_extension
    from nbreport.outline import text_of

    sources = report_extension.sources(REPO)
    articles = [(e, r) for e, r in repo_build.manifest.runs(site_only=True) if e.kind == "article"]
    assert articles
    for entry, run in articles:
        page = (repo_build.site / "reports" / f"{run.id}.html").read_text(encoding="utf-8")
        head = text_of(page[page.index("</h1>"):page.index('<div class="meta"')])  # under the title
        src = sources[entry.source_id]
        for said in (src["publisher"], src["published"]):
            assert head.count(said) == 1, f"{run.id}: {said!r} is said {head.count(said)} times under the title: {head}"
        crumbs = text_of(page[page.index('<p class="crumbs">'):page.index("</p>", page.index('<p class="crumbs">'))])
        assert crumbs.split() == ["Reports", "›", *report_extension.KINDS["article"]["label"].split()], crumbs
