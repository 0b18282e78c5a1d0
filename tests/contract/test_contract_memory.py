"""The backend contract, run against the in-memory wiki the engine's unit tests use."""

from __future__ import annotations

import pytest
from backend_contract import BackendContract, PlainCodec

from connector.base import PageRef
from connector.memory import MemoryBackend


class TestMemoryBackend(BackendContract):
    @pytest.fixture
    def backend(self) -> MemoryBackend:
        self.memory = MemoryBackend(codec=PlainCodec(), spaces={self.space, self.other_space})
        return self.memory

    def member_edit(self, ref: PageRef, text: str) -> None:
        self.memory.edit(ref, text)

    def member_move(self, ref: PageRef, target: PageRef) -> None:
        self.memory.move(ref, target)

    def member_delete(self, ref: PageRef) -> None:
        self.memory.delete(ref)

    def let_time_pass(self) -> None:
        # Its clock moves one second per event: an event outside the spaces moves it.
        self.memory.edit(PageRef("Clock", "Tick"), self.memory.now())

    def member_user(self) -> str:
        return "Member"
