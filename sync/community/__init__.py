"""What a community is: registering one (`cop community add`), its lifecycle and the
rollout stage, where its pages are and what its seminar pages show.

May import: sync.config, sync.records, sync.clock, connector, page_templates. Independent of
sync.engine (neither imports the other).
"""
