"""Made-up names: people (first and last names) and companies (prefix, stem, industry word, tier)."""

from __future__ import annotations

import numpy as np


FIRST_NAMES = (
    "Dana", "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Robin",
    "Maria", "Lena", "Sofia", "Amir", "Yuki", "Chen", "Priya", "Ravi", "Omar", "Fatima", "Lucas", "Mateo",
    "Elena", "Ivan", "Olga", "Hana", "Kenji", "Aisha", "Noah", "Emma", "Liam", "Olivia", "Mia", "Leo",
    "Nora", "Ines", "Diego", "Carla", "Tomas", "Eva", "Jonas", "Anna", "Felix", "Clara", "Hugo", "Zoe",
    "Arjun", "Mei", "Sara", "David", "Grace", "Henry", "Isla", "Jack", "Kira", "Luis", "Marta", "Nils",
)
LAST_NAMES = (
    "Smith", "Garcia", "Müller", "Rossi", "Silva", "Kim", "Tanaka", "Patel", "Nguyen", "Cohen", "Novak",
    "Larsen", "Dubois", "Kowalski", "Santos", "Chen", "Singh", "Brown", "Wilson", "Martin", "Lopez",
    "Schmidt", "Ivanova", "Haddad", "Okafor", "Mensah", "Andersson", "Fischer", "Moreau", "Costa", "Yamada",
    "Park", "Reyes", "Khan", "Ali", "Jensen", "Berg", "Weber", "Lambert", "Romero", "Ortiz", "Hughes",
    "Walsh", "Murphy", "Kelly", "Byrne", "Sato", "Wang", "Li", "Zhang", "Gupta", "Rao", "Mendes", "Ferreira",
    "Vargas", "Castro", "Nowak", "Horvat", "Popescu", "Dimitrov",
)
NAME_PREFIXES = (
    "Acme", "Apex", "Blue", "Bright", "Cedar", "Clear", "Core", "Crest", "Delta", "Echo", "Ever", "First",
    "Fusion", "Glob", "Granite", "Green", "Harbor", "High", "Iron", "Key", "Lake", "Lumen", "Maple",
    "Meridian", "North", "Nova", "Oak", "Omni", "Orbit", "Pacific", "Peak", "Pine", "Prime", "Quantum", "Red",
    "River", "Sage", "Silver", "Sky", "Solar", "Spark", "Star", "Stone", "Summit", "True", "Union", "Vector",
    "Vista", "West", "Zen",
)
NAME_STEMS = ("", "bridge", "field", "point", "line", "works", "stream", "gate", "wave", "view", "path",
              "ford", "side", "crest", "tech", "ware", "logic", "sys", "net", "way")
INDUSTRY_NAME_SUFFIXES = (
    ("Software", "Labs", "Systems", "Digital", "Cloud"),
    ("Capital", "Financial", "Bank", "Partners", "Insurance"),
    ("Logistics", "Freight", "Shipping", "Transport", "Supply"),
    ("Industries", "Manufacturing", "Fabrication", "Components", "Machinery"),
    ("Health", "Medical", "Clinics", "Care", "Pharma"),
    ("Retail", "Stores", "Market", "Outfitters", "Goods"),
    ("Academy", "Learning", "University", "Schools", "Education"),
    ("County", "City Services", "Authority", "Agency", "Public Works"),
)
NAME_TIERS = ("", " Group", " Holdings", " International", " Global", " Solutions")
DUPLICATE_NAME_SUFFIXES = (" Inc.", ", Inc", " Ltd", " LLC", " GmbH")


def person_names(rng, n: int) -> np.ndarray:
    """``n`` "First Last" names, all different while there are enough combinations."""
    combos = len(FIRST_NAMES) * len(LAST_NAMES)
    pick = rng.choice(combos, n, replace=n > combos)
    first = np.array(FIRST_NAMES, dtype=object)[pick // len(LAST_NAMES)]
    last = np.array(LAST_NAMES, dtype=object)[pick % len(LAST_NAMES)]
    return first + " " + last


def company_names(rng, industry: np.ndarray) -> np.ndarray:
    """Unique, industry-flavoured company names (e.g. "Bluebridge Logistics Group")."""
    names = np.empty(len(industry), dtype=object)
    n_base = len(NAME_PREFIXES) * len(NAME_STEMS)
    for k, suffixes in enumerate(INDUSTRY_NAME_SUFFIXES):  # one step per industry
        rows = np.flatnonzero(industry == k)
        total = n_base * len(suffixes) * len(NAME_TIERS)
        pick = rng.permutation(max(total, len(rows)))[: len(rows)]
        combo, repeat = pick % total, pick // total
        base = combo % n_base
        prefix = np.array(NAME_PREFIXES, dtype=object)[base // len(NAME_STEMS)]
        stem = np.array(NAME_STEMS, dtype=object)[base % len(NAME_STEMS)]
        suffix = np.array(suffixes, dtype=object)[(combo // n_base) % len(suffixes)]
        tier = np.array(NAME_TIERS, dtype=object)[combo // (n_base * len(suffixes))]
        number = np.where(repeat > 0, " " + (repeat + 1).astype(str).astype(object), "")
        names[rows] = prefix + stem + " " + suffix + tier + number
    return names
