"""Communities as data (bot.communities) on SQLite and PostgreSQL: the first community from
docs/communities/jinhua-garden.yml, answers with their audit trail, files, conversations, agents,
addresses."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from bot import communities as c
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.agents import create_agent
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest
from bot.tickets.rules import INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.sql_support import statements_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLOSING = "请问还有什么可以帮您？"


def _knowledge_base() -> dict[str, str]:
    data = yaml.safe_load((PROJECT_ROOT / "nlu_data" / "knowledge_base.yml").read_text(encoding="utf-8"))
    return {key.split("/", 1)[1]: variants[0]["text"] for key, variants in data["responses"].items()}


def test_the_topics_are_the_models_retrieval_intents() -> None:
    assert set(c.TOPICS) | {c.UNKNOWN_TOPIC} == set(_knowledge_base())


def test_the_first_community_is_the_one_of_docs_facts(database_url: str) -> None:
    with session_scope() as session:
        [first] = c.list_communities(session)
        assert first == c.default_community(session)
        assert (first.slug, first.name, first.duty_phone) == ("jinhua-garden", "锦华花园", "0571-8765-4321")
        assert first.buildings == {str(n): 3 for n in range(1, 13)}
        assert "东门" in first.service_centre_place and "8:30–18:00" in first.service_centre_hours
        answers = {a.topic: a.text for a in c.topic_answers(session, first.id)}
        covers = {a.topic: a.covers for a in c.topic_answers(session, first.id)}
        seeded = [ch for ch in c.changes(session, first.id) if ch.field.startswith("covers:")]
    # What each answer also covers, from the file (migration 0012), each in the trail as the seed's.
    from_file = c.read_community_file(c.FIRST_COMMUNITY_FILE).covers
    assert from_file["fee_standard"][:1] == ("底商",) and "拴绳" in from_file["pets"]
    assert {t: v for t, v in covers.items() if v} == from_file
    assert sorted(ch.field for ch in seeded) == sorted(f"covers:{t}" for t in from_file) and {ch.changed_by for ch in seeded} == {"seed"}
    # The answers residents got before communities existed, word for word (the closing is the action's).
    for topic, text in _knowledge_base().items():
        if topic != c.UNKNOWN_TOPIC:
            assert answers[topic] + CLOSING == text, topic


def test_an_answer_is_set_audited_and_removed(database_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        community = c.default_community(session).id
        before = c.answer_with_covers(session, community, "parking")[0]
        change = c.set_answer(session, community, "parking", "  地下车位月租350元/月。 ", by="wang")
        assert change is not None and (change.field, change.old_value, change.new_value, change.changed_by) == ("answer:parking", before, "地下车位月租350元/月。", "wang")
        assert c.set_answer(session, community, "parking", "地下车位月租350元/月。", by="wang") is None  # unchanged
    with session_scope() as session:
        assert c.answer_with_covers(session, community, "parking")[0] == "地下车位月租350元/月。"
        [answer] = [a for a in c.topic_answers(session, community) if a.topic == "parking"]
        assert answer.updated_by == "wang"
        c.set_answer(session, community, "parking", None, by="li")
    with session_scope() as session:
        assert c.answer_with_covers(session, community, "parking")[0] is None
        assert [(ch.field, ch.new_value, ch.changed_by) for ch in c.changes(session, community)[:2]] == [
            ("answer:parking", None, "li"),
            ("answer:parking", "地下车位月租350元/月。", "wang"),
        ]


def test_what_an_answer_also_covers_is_set_audited_and_refused_when_it_cannot_be(database_url: str) -> None:
    with session_scope() as session:
        community = c.default_community(session).id
        before = c.answer_with_covers(session, community, "parking")[1]
        change = c.set_answer_covers(session, community, "parking", " 车库，地库、 包年 车库", by="wang")
        assert change is not None and (change.field, change.old_value, change.new_value) == ("covers:parking", "、".join(before) or None, "车库、地库、包年")
        assert c.set_answer_covers(session, community, "parking", ["车库", "地库", "包年"], by="wang") is None  # unchanged
        for bad in ("车库、" + "长" * 21, "车库、<b>", "、".join(f"词{n}" for n in range(201))):
            with pytest.raises(c.CommunityError):
                c.set_answer_covers(session, community, "parking", bad, by="wang")
        c.set_answer(session, community, "parking", None, by="li")
        with pytest.raises(c.CommunityError):  # no answer: nothing to cover
            c.set_answer_covers(session, community, "parking", "车库", by="li")
        assert c.set_answer_covers(session, community, "parking", "", by="li") is None
    with session_scope() as session:
        assert c.answer_with_covers(session, community, "parking")[1] == ()  # gone with the answer
        assert [ch.field for ch in c.changes(session, community)[:2]] == ["answer:parking", "covers:parking"]


@pytest.mark.parametrize(("topic", "text", "error"), [
    ("parking", "不知道，你自己去问", c.ImpoliteAnswer),
    ("parking", "   ", c.CommunityError),
    ("parking", "费" * 2001, c.CommunityError),
    ("other", "这个问题我们来答", c.CommunityError),
    ("weather", "晴", c.CommunityError),
])
def test_an_answer_that_cannot_be_stored_is_refused(db: str, topic: str, text: str, error: type[Exception]) -> None:
    with session_scope() as session:
        community = c.default_community(session).id
        with pytest.raises(error):
            c.set_answer(session, community, topic, text, by="wang")


def test_a_community_file_creates_then_updates_a_community(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text(yaml.safe_dump({
        "slug": "lanting", "name": "兰亭苑", "address": "杭州市拱墅区兰亭路1号",
        "buildings": {"count": 6, "units": 2}, "service_centre": {"place": "南门物业中心", "hours": "每天9:00–17:30"},
        "duty_phone": "0571-1111-2222", "answers": {"fee_standard": "兰亭苑物业费为高层住宅3.20元/㎡·月。"},
        "covers": {"fee_standard": ["门面", "底商"]},
    }, allow_unicode=True), encoding="utf-8")
    with session_scope() as session:
        created = c.load_community_file(session, path, by="admin")
    assert (created.slug, created.name, len(created.buildings), created.duty_phone) == ("lanting", "兰亭苑", 6, "0571-1111-2222")
    with session_scope() as session:
        assert [x.slug for x in c.list_communities(session)] == ["jinhua-garden", "lanting"]
        assert c.answer_with_covers(session, created.id, "fee_standard")[0] == "兰亭苑物业费为高层住宅3.20元/㎡·月。"
        assert c.answer_with_covers(session, created.id, "parking")[0] is None  # not in the file: the hand-over
        assert c.answer_with_covers(session, created.id, "fee_standard")[1] == ("门面", "底商")
        made = c.update_community(session, created.id, by="admin", duty_phone="", name="兰亭苑小区")
        assert {m.field for m in made} == {"duty_phone", "name"}
    with session_scope() as session:
        again = c.community_by_slug(session, "lanting")
        assert again is not None and again.name == "兰亭苑小区"
        assert again.own_duty_phone == "" and again.duty_phone == "0571-8765-4321"  # DUTY_PHONE


@pytest.mark.parametrize("facts", [
    c.CommunityFacts(slug="Bad Slug", name="x"),
    c.CommunityFacts(slug="ok", name=""),
    c.CommunityFacts(slug="ok", name="x", duty_phone="call me"),
    c.CommunityFacts(slug="ok", name="x", buildings={"A": 3}),
    c.CommunityFacts(slug="ok", name="x", answers={"weather": "晴"}),
    c.CommunityFacts(slug="ok", name="x", covers={"weather": ("晴天",)}),
    c.CommunityFacts(slug="ok", name="x", covers={"parking": ("车库",)}),  # covers without an answer
])
def test_a_malformed_community_is_refused(db: str, facts: c.CommunityFacts) -> None:
    with session_scope() as session, pytest.raises(c.CommunityError):
        c.save_community(session, facts, by="admin")


def test_a_conversation_belongs_to_one_community(database_url: str) -> None:
    with session_scope() as session:
        other = c.save_community(session, c.CommunityFacts(slug="lanting", name="兰亭苑"), by="admin")
        first = c.default_community(session)
        assert c.bind_conversation(session, "r-1", other.id) == other.id
        assert c.bind_conversation(session, "r-1", first.id) == other.id  # never moves
        assert c.community_of_conversation(session, "r-1").slug == "lanting"
        # Never bound (the REST channel) or never seen: the default community.
        session.add(Conversation(id="r-2", status="bot"))
        session.flush()
        assert c.community_id_of_conversation(session, "r-2") == first.id
        assert c.community_id_of_conversation(session, "never-seen") == first.id
        assert c.community_of_conversation(session, "r-2").slug == c.community_of_conversation(session, "never-seen").slug == first.slug


def test_a_reply_reads_the_community_and_its_answer_in_one_statement_each(database_url: str) -> None:
    """What every reply reads (the conversation's community, the topic's answer with what it
    covers) and every ticket stores (its community) is one round trip each, bound or not."""
    with session_scope() as session:
        other = c.save_community(session, c.CommunityFacts(slug="lanting", name="兰亭苑", answers={"parking": "车位月租200元"}, covers={"parking": ("车库",)}), by="admin")
        c.bind_conversation(session, "r-1", other.id)
    for conversation in ("r-1", "never-seen"):
        assert statements_of(lambda session, conversation=conversation: c.community_of_conversation(session, conversation)) == ["SELECT"]
    assert statements_of(lambda session: c.answer_with_covers(session, other.id, "parking")) == ["SELECT"]
    with session_scope() as session:
        assert c.answer_with_covers(session, other.id, "parking") == ("车位月租200元", ("车库",))
        assert c.answer_with_covers(session, other.id, "pets") == (None, ())
        ticket = create_ticket(session, NewTicket("inquiry", "handover", "一般", "车位", "客服中心", INQUIRY_DEADLINES, conversation_id="r-1"))
        unbound = create_ticket(session, NewTicket("inquiry", "handover", "一般", "车位", "客服中心", INQUIRY_DEADLINES))
        assert (ticket.community_id, unbound.community_id) == (other.id, c.default_community(session).id)


def test_agents_serve_communities(database_url: str) -> None:
    with session_scope() as session:
        other = c.save_community(session, c.CommunityFacts(slug="lanting", name="兰亭苑"), by="admin")
        create_agent(session, "zhang", "password-1")
        create_agent(session, "boss", "password-1", role="manager")
        create_agent(session, "li", "password-1", communities=[])
        first = c.default_community(session).id
        assert c.communities_served(session, "zhang") == [first]  # by default the first community
        assert c.communities_served(session, "li") == []
        assert c.set_communities_served(session, "zhang", [other.id, other.id]) == [other.id]
        assert c.agents_serving(session, other.id) == ["zhang"]
        assert c.visible_communities(session, "zhang", "agent") == frozenset({other.id})
        assert c.visible_communities(session, "boss", "manager") is None
        with pytest.raises(c.CommunityError):
            c.set_communities_served(session, "zhang", [999])
        with pytest.raises(c.CommunityError):
            c.set_communities_served(session, "nobody", [other.id])


@pytest.mark.parametrize(("address", "problem"), [
    ("3-2-102", None),
    ("12号楼3单元1503", None),
    ("13-1-101", ("13", None)),
    ("13号楼", ("13", None)),
    ("13栋2单元", ("13", None)),
    ("3-4-102", ("3", "4")),
    ("3号楼5单元", ("3", "5")),
    ("东门岗亭", None),
    ("地下车库B2", None),
])
def test_an_address_outside_the_community_is_noticed(address: str, problem: tuple[str, str | None] | None) -> None:
    community = c.CommunityRecord(1, "jinhua-garden", "锦华花园", "", {str(n): 3 for n in range(1, 13)}, "", "", "")
    found = c.address_problem(community, address)
    assert (None if found is None else (found.building, found.unit)) == problem


def test_every_answer_of_every_community_file_is_polite() -> None:
    for path in sorted((PROJECT_ROOT / "docs" / "communities").glob("*.yml")):
        for topic, text in c.read_community_file(path).answers.items():
            assert c.check_answer(text) == text.strip(), (path.name, topic)


def test_a_queue_entry_of_a_never_bound_conversation_belongs_to_the_default_community(database_url: str) -> None:
    """The one rule (bot.storage.models.community_id_of) for queue entries as for tickets: an older
    row no widget bound queues in the default community, not in none."""
    with session_scope() as session:
        session.add(Conversation(id="r-old", status="bot"))
        session.flush()
        request_handoff(session, "r-old", "request_human", Priority.NORMAL)
        entry = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == "r-old")).scalar_one()
        assert entry.community_id == c.default_community(session).id
