"""Communities (小区) as data: facts, topic answers, who serves them (issue 13).

A property company manages many communities. Each has a record — name, address, buildings and
their units, the service centre's place and hours, its 24-hour duty phone — and one answer per
inquiry topic. Rasa picks the topic (``inquiry/<topic>``, :data:`TOPICS`); the answer text is read
from the conversation's community at the moment of the reply (``actions.ActionAnswerInquiry``), so
an edited answer is used by the next message without retraining. A topic with no answer gets the
honest hand-over (DOMAIN.md §4). A conversation, its tickets and its queue entries belong to one
community (``community_id`` columns, migration 0010); the first community (lowest id) is the
default for anything without one.

Python API (all functions take an open SQLAlchemy ``Session``; none commits — use
``with bot.storage.session_scope() as session:``)::

    from bot import communities as c

    # communities
    c.list_communities(session) -> list[CommunityRecord]          # default (first) one first
    c.get_community(session, community_id) -> CommunityRecord | None
    c.community_by_slug(session, "jinhua-garden") -> CommunityRecord | None
    c.default_community(session) -> CommunityRecord
    c.save_community(session, CommunityFacts(slug, name, …, answers={topic: text}), by="admin")
        -> CommunityRecord                                        # create, or update by slug
    c.update_community(session, community_id, by="admin", name=…, address=…, buildings={"1": 3},
        service_centre_place=…, service_centre_hours=…, duty_phone=…) -> list[Change]
    c.load_community_file(session, Path("docs/communities/x.yml"), by="seed") -> CommunityRecord

    # topic answers (TOPICS: topic -> label for the editor; UNKNOWN_TOPIC "other" is never answered)
    c.topic_answers(session, community_id) -> list[Answer]        # every topic, text None = hand-over
    c.answer_with_covers(session, community_id, topic) -> (str | None, ("底商", …))  # the answer, what else it covers
    c.set_answer_covers(session, community_id, topic, "底商、门面房", by="admin") -> Change | None
    c.check_answer(text) -> str                                   # raises CommunityError / ImpoliteAnswer
    c.set_answer(session, community_id, topic, text_or_None, by="admin") -> Change | None
    c.changes(session, community_id) -> list[Change]              # audit trail, newest first

    # conversations
    c.bind_conversation(session, conversation_id, community_id) -> int   # first binding wins
    c.community_of_conversation(session, conversation_id) -> CommunityRecord
    c.community_id_of_conversation(session, conversation_id) -> int

    # agents (issue 13 §5)
    c.communities_served(session, agent_name) -> list[int]
    c.set_communities_served(session, agent_name, [community_id, …]) -> list[int]
    c.agents_serving(session, community_id) -> list[str]
    c.visible_communities(session, agent_name, role) -> frozenset[int] | None   # None: all (manager)

    # addresses
    c.address_problem(community, "13-1-101") -> AddressProblem | None

Records are frozen dataclasses: :class:`CommunityRecord` (``duty_phone`` is the community's own or
``DUTY_PHONE``; ``public()`` is what the widget may show), :class:`Answer`, :class:`Change`
(``field`` is a column name or ``answer:<topic>``). Errors are :class:`CommunityError`
(``ValueError``) with a message saying what to fix; :class:`ImpoliteAnswer` carries the politeness
checker's ``violations``.

The file format a company writes: :mod:`bot.communities.loader`; the CLI:
``python -m bot communities list|load FILE…|serve AGENT SLUG…``.
"""

from bot.communities.addresses import AddressProblem, address_problem, building_and_unit
from bot.communities.loader import FIRST_COMMUNITY_FILE, load_community_file, parse_community, read_community_file
from bot.communities.records import (
    Answer,
    Change,
    CommunityError,
    CommunityFacts,
    CommunityRecord,
    ImpoliteAnswer,
    agents_serving,
    answer_with_covers,
    bind_conversation,
    changes,
    check_answer,
    check_terms,
    communities_served,
    community_by_slug,
    community_id_of_conversation,
    community_of_conversation,
    default_community,
    get_community,
    list_communities,
    save_community,
    set_answer,
    set_answer_covers,
    set_communities_served,
    topic_answers,
    update_community,
    visible_communities,
)
from bot.communities.topics import TOPICS, UNKNOWN_TOPIC, is_topic

__all__ = [
    "FIRST_COMMUNITY_FILE",
    "TOPICS",
    "UNKNOWN_TOPIC",
    "AddressProblem",
    "Answer",
    "Change",
    "CommunityError",
    "CommunityFacts",
    "CommunityRecord",
    "ImpoliteAnswer",
    "address_problem",
    "agents_serving",
    "answer_with_covers",
    "bind_conversation",
    "building_and_unit",
    "changes",
    "check_answer",
    "check_terms",
    "communities_served",
    "community_by_slug",
    "community_id_of_conversation",
    "community_of_conversation",
    "default_community",
    "get_community",
    "is_topic",
    "list_communities",
    "load_community_file",
    "parse_community",
    "read_community_file",
    "save_community",
    "set_answer",
    "set_answer_covers",
    "set_communities_served",
    "topic_answers",
    "update_community",
    "visible_communities",
]
