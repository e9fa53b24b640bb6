import pytest

from prompts.loader import PromptError, available_prompts, load_prompt, parse_prompt

SAMPLE_VALUES = {
    "article": "The council met on May 3.",
    "max_claims": "5",
    "claim": "x",
    "passage": "y",
    "sentence": "z",
    "context": "c",
    "pronoun": "It",
}


@pytest.mark.parametrize("name", available_prompts())
def test_every_prompt_renders(name):
    prompt = load_prompt(name)
    values = {v: SAMPLE_VALUES[v] for v in prompt.variables}
    messages = prompt.render(**values)
    assert messages[0].type == "system"
    assert messages[-1].type == "human"
    assert all("{{" not in str(m.content) for m in messages)
    assert len(prompt.version) == 12


def test_prompts_exist():
    assert {"checkworthy", "resolve_reference", "judge_stance"} <= set(available_prompts())


def test_missing_and_unexpected_variables_fail():
    prompt = parse_prompt("t", "## system\nHi {{name}}\n## user\n{{text}}")
    with pytest.raises(PromptError, match="missing"):
        prompt.render(name="a")
    with pytest.raises(PromptError, match="unexpected"):
        prompt.render(name="a", text="b", other="c")


def test_values_are_not_expanded_twice():
    prompt = parse_prompt("t", "## user\n{{text}}")
    (message,) = prompt.render(text="{{text}} and {{other}}")
    assert message.content == "{{text}} and {{other}}"


def test_malformed_files_fail():
    with pytest.raises(PromptError):
        parse_prompt("t", "no heading")
    with pytest.raises(PromptError):
        parse_prompt("t", "intro\n## user\nx")


def test_version_changes_with_text():
    assert parse_prompt("t", "## user\na").version != parse_prompt("t", "## user\nb").version
