"""Realistic words for demo data, drawn from Faker once per run and then picked with the
generator's own random streams: a Faker call costs a few hundred microseconds, a pick from a
list one, which is what makes 100,000 records take seconds rather than minutes."""

from __future__ import annotations

import random

from faker import Faker

_INDUSTRIES = (
    "Consulting",
    "Systems",
    "Logistics",
    "Foods",
    "Energy",
    "Motors",
    "Textiles",
    "Software",
    "Health",
    "Retail",
    "Capital",
    "Media",
    "Industries",
    "Engineering",
    "Labs",
    "Solutions",
    "Trading",
    "Construction",
    "Pharma",
    "Design",
    "Analytics",
    "Marine",
    "Aviation",
    "Farms",
    "Robotics",
    "Studios",
    "Supply",
    "Metals",
    "Optics",
    "Telecom",
)
_SUFFIXES = (
    "Inc.",
    "Ltd.",
    "LLC",
    "Group",
    "& Co.",
    "GmbH",
    "S.A.",
    "Partners",
    "Holdings",
    "Corp.",
)


class Pools:
    def __init__(self, seed: int, size: int) -> None:
        fake = Faker("en_US")
        fake.seed_instance(f"{seed}:pools")
        size = max(40, size)
        self.first_names = [fake.first_name() for _ in range(min(size, 400))]
        self.last_names = [fake.last_name() for _ in range(min(size, 900))]
        self.cities = [fake.city() for _ in range(min(size, 300))]
        self.streets = [fake.street_name() for _ in range(min(size, 300))]
        self.states = [fake.state_abbr() for _ in range(50)]
        self.jobs = [fake.job() for _ in range(min(size, 150))]
        self.phrases = [fake.catch_phrase() for _ in range(min(size, 400))]
        self.business = [fake.bs() for _ in range(min(size, 300))]
        self.sentences = [fake.sentence(nb_words=6) for _ in range(min(size, 200))]

    def first_name(self, rng: random.Random) -> str:
        return rng.choice(self.first_names)

    def last_name(self, rng: random.Random) -> str:
        return rng.choice(self.last_names)

    def company(self, rng: random.Random) -> str:
        return f"{rng.choice(self.last_names)} {rng.choice(_INDUSTRIES)} {rng.choice(_SUFFIXES)}"

    def city(self, rng: random.Random) -> str:
        return rng.choice(self.cities)

    def state(self, rng: random.Random) -> str:
        return rng.choice(self.states)

    def street_address(self, rng: random.Random) -> str:
        return f"{rng.randrange(1, 9999)} {rng.choice(self.streets)}"

    def postcode(self, rng: random.Random) -> str:
        return f"{rng.randrange(10000, 99999)}"

    def phone(self, rng: random.Random) -> str:
        return f"+1 {rng.randrange(201, 989)}-555-{rng.randrange(0, 10000):04d}"

    def job(self, rng: random.Random) -> str:
        return rng.choice(self.jobs)

    def phrase(self, rng: random.Random) -> str:
        return rng.choice(self.phrases)

    def business_talk(self, rng: random.Random) -> str:
        return rng.choice(self.business)

    def sentence(self, rng: random.Random) -> str:
        return rng.choice(self.sentences)

    def domain(self, rng: random.Random) -> str:
        return f"{rng.choice(self.last_names).lower()}-{rng.choice(_INDUSTRIES).lower()}"
