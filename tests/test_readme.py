"""The README documents what the repository actually does."""
import re
from pathlib import Path

from helpers import data

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_data_dictionary_is_current_with_the_schema():
    assert data.readme_with_dictionary(README) == README, "README's data dictionary is stale: run `make docs`"


def test_dictionary_lists_every_column_of_every_table():
    package = data.read_package()
    for res in package["resources"]:
        assert f"`data/{res['path']}`" in README
        for field in res["schema"]["fields"]:
            assert f"| `{field['name']}` |" in README, f"{res['name']}.{field['name']} missing from README"


def test_exactly_two_setup_commands():
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make report", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test$", ci, re.M), ".ci/run must run the README's test command"


def test_article_list_and_claims_totals_are_current():
    """The README's article table and claims totals are written by `make docs` (tools/readme_totals.py)
    from the sources table, the manifest and the claims checker; a stale block fails here."""
    from conftest import load_tool

    totals = load_tool("readme_totals")
    assert totals.render(README) == README, "README's article list or claims totals are stale: run `make docs`"
    from helpers import claims

    m = re.search(r"of (\d+) numbers: (\d+) reproduce", README)
    assert m and int(m.group(1)) == len(claims.check_claims()), "README no longer states the claims totals"


def test_every_make_target_named_in_the_readme_exists():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"`make ([a-z-]+)", README)):
        assert re.search(rf"^{target}:", makefile, re.M), f"README names `make {target}`, the Makefile has none"


def test_screenshots_in_the_readme_exist():
    for path in re.findall(r"!\[[^\]]+\]\(([^)]+)\)", README):
        assert (ROOT / path).is_file(), path


def test_setup_without_make_is_one_command_each():
    section = README.split("## Set-up without make", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    commands = [[line for line in b.splitlines() if line.strip()] for b in blocks]
    assert commands == [["conda env update -n <your-env> -f environment.yml"],
                        ['python3 -m venv .venv && .venv/bin/pip install -e ".[lab]"']]
    extras = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "lab" in extras


def test_every_number_word_the_checker_accepts_is_listed_in_the_readme():
    from helpers.claims import stated as claims

    section = README.split("**Numbers in words.**", 1)[1].split("\n## ", 1)[0]
    words = set(re.findall(r"[a-z]+(?: [a-z]+)?", section.lower()))
    missing = [w for w in list(claims._WORDS) + list(claims._FRACTION_WORDS) if w not in words]
    assert not missing, f"README does not list the number words {missing}"
    assert "**No self-confirmation.**" in README


def test_the_readme_gives_the_on_and_off_words_the_code_reads():
    from nbreport.config import OFF_WORDS, ON_WORDS

    def listed(words):
        return ", ".join(words[:-1]) + " or " + words[-1]

    text = " ".join(README.split())
    assert f"takes {listed(OFF_WORDS)}, and {listed(ON_WORDS)}" in text
