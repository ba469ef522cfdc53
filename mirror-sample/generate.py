"""Write the offline demo's PubMed sample in NLM's baseline format (run from the repo root).

    PYTHONPATH=. python mirror-sample/generate.py

Writes ``baseline/pubmed26n0001.xml.gz``, ``baseline/pubmed26n0002.xml.gz`` and
``updatefiles/pubmed26n0003.xml.gz`` (each with NLM's ``.md5`` line beside it) and
``desc-sample.xml`` (a corner of the MeSH tree). Every record is synthetic: titles and
abstracts are assembled from sentences written for this sample, on the topics of the bundled
ketamine claims (NMDA blockade, neuroplasticity, inflammation, low doses, infusions for chronic
pain) and on neighbouring ones that the claims' searches must not find. PMIDs start at
90000001, far from real ones in this range of the demo. Deterministic (seeded).
"""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

from tests.mirror_xml import MESH_TREE, Mesh, Rec, deletion, document, mesh_document

HERE = Path(__file__).resolve().parent
FIRST_PMID = 90_000_001

THEMES: dict[str, dict[str, list]] = {  # type: ignore[type-arg]
    "nmda": {
        "titles": [
            "NMDA receptor blockade by ketamine and {pain}",
            "Ketamine as an NMDA receptor antagonist in {pain}",
        ],
        "sentences": [
            "Ketamine blocked N-methyl-D-aspartate receptors in dorsal horn neurons.",
            "Blocking NMDA receptors reduced wind-up and central sensitization.",
            "The NMDA receptor antagonist lowered hyperalgesia after nerve injury.",
        ],
        "mesh": [
            ("Receptors, N-Methyl-D-Aspartate", True, ("antagonists & inhibitors",)),
            ("Excitatory Amino Acid Antagonists", False, ("therapeutic use",)),
            ("Hyperalgesia", False, ()),
        ],
    },
    "plasticity": {
        "titles": [
            "Ketamine, synaptic plasticity and {pain}",
            "Neuroplasticity after ketamine in {pain}",
        ],
        "sentences": [
            "Ketamine increased BDNF and synaptogenesis in cortical circuits.",
            "Synaptic plasticity changes reversed after treatment.",
            "Functional connectivity of pain networks normalised on MRI.",
        ],
        "mesh": [
            ("Neuronal Plasticity", True, ()),
            ("Brain-Derived Neurotrophic Factor", False, ()),
            ("Brain", False, ("diagnostic imaging",)),
            ("Magnetic Resonance Imaging", False, ()),
        ],
    },
    "inflammation": {
        "titles": [
            "Ketamine and inflammatory mediators in {pain}",
            "Anti-inflammatory effects of ketamine in {pain}",
        ],
        "sentences": [
            "Interleukin-6 and TNF-alpha concentrations fell after ketamine.",
            "Microglial activation was attenuated.",
            "C-reactive protein did not change significantly.",
        ],
        "mesh": [
            ("Cytokines", False, ("blood",)),
            ("Interleukin-6", False, ("blood",)),
            ("Inflammation", True, ("drug therapy",)),
            ("Tumor Necrosis Factor-alpha", False, ()),
        ],
    },
    "lowdose": {
        "titles": [
            "Low-dose ketamine for {pain}",
            "Subanesthetic ketamine for {pain}: analgesia without sedation",
        ],
        "sentences": [
            "A subanesthetic dose of ketamine gave analgesia while patients stayed awake.",
            "Low-dose ketamine reduced pain with brief dissociative effects.",
            "Sedation scores did not differ from placebo; consciousness was preserved.",
        ],
        "mesh": [
            ("Analgesia", False, ()),
            ("Conscious Sedation", False, ()),
            ("Dose-Response Relationship, Drug", False, ()),
        ],
        "qualifiers": ("adverse effects",),
    },
    "infusion": {
        "titles": [
            "Intravenous ketamine infusion for {pain}",
            "Ketamine infusions in refractory {pain}",
        ],
        "sentences": [
            "Patients received intravenous ketamine infusions over several days.",
            "Pain intensity fell for weeks after the infusion.",
            "Repeated infusions were well tolerated.",
        ],
        "mesh": [("Infusions, Intravenous", False, ()), ("Administration, Intravenous", False, ())],
    },
}
PAINS: list[tuple[str, Mesh]] = [
    ("chronic pain", ("Chronic Pain", True, ("drug therapy",))),
    ("neuropathic pain", ("Neuralgia", True, ("drug therapy",))),
    ("complex regional pain syndrome", ("Complex Regional Pain Syndromes", True, ())),
    ("fibromyalgia", ("Fibromyalgia", True, ())),
    ("cancer pain", ("Cancer Pain", True, ())),
]
OFF_TOPIC = [  # neighbours the claims' searches should not find
    (
        "Opioid prescribing after knee surgery",
        "Opioid use fell with a new protocol.",
        [("Analgesics, Opioid", True, ()), ("Pain, Postoperative", False, ())],
    ),
    (
        "Ketamine anaesthesia in veterinary practice",
        "Cats recovered smoothly.",
        [("Ketamine", True, ()), ("Anesthesia", False, ()), ("Cats", False, ())],
    ),
    (
        "Esketamine nasal spray in depression",
        "Depressive symptoms improved within a day.",
        [("Ketamine", True, ()), ("Depressive Disorder, Major", True, ())],
    ),
    (
        "Exercise therapy in low back pain",
        "Walking programmes improved function.",
        [("Low Back Pain", True, ()), ("Exercise Therapy", False, ())],
    ),
]
DESIGNS = [
    (["Journal Article", "Randomized Controlled Trial"], "In this randomized controlled trial,"),
    (
        ["Journal Article", "Meta-Analysis", "Systematic Review"],
        "This meta-analysis pooled trials;",
    ),
    (["Journal Article", "Clinical Trial"], "In this open clinical trial,"),
    (["Journal Article", "Observational Study"], "In this cohort,"),
    (["Journal Article", "Review"], "This narrative review found that"),
    (["Journal Article"], "In rats,"),
]
SURNAMES = [
    "Abel",
    "Brandt",
    "Costa",
    "Diaz",
    "Eriksen",
    "Fujita",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Laurent",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
]
JOURNALS = [
    ("Pain Medicine", "Pain Med"),
    ("Journal of Pain Research", "J Pain Res"),
    ("Anesthesia and Analgesia", "Anesth Analg"),
    ("Neuropharmacology", "Neuropharmacology"),
    ("Pain", "Pain"),
]


def record(pmid: int, rng: random.Random) -> Rec:
    """One synthetic record: a theme (or an off-topic neighbour), a pain, a design."""
    journal, iso = rng.choice(JOURNALS)
    year = rng.randint(1998, 2025)
    date = (year, rng.randint(1, 12), rng.randint(1, 28))
    authors = [
        (rng.choice(SURNAMES), rng.choice("ABCDEFGHJKLMN")) for _ in range(rng.randint(1, 4))
    ]
    if rng.random() < 0.15:
        title, abstract, mesh = rng.choice(OFF_TOPIC)
        return Rec(pmid, title, abstract, mesh=[*mesh, ("Humans", False, ())], pub=date,
                   entrez=date, authors=authors, journal=journal, iso=iso)  # fmt: skip
    theme = THEMES[rng.choice(list(THEMES))]
    pain, pain_mesh = rng.choice(PAINS)
    pt, opening = rng.choice(DESIGNS)
    sentences = rng.sample(theme["sentences"], 2)
    abstract = f"{opening} {sentences[0][0].lower()}{sentences[0][1:]} {sentences[1]} " + (
        f"Participants had {pain}."
    )
    ketamine_qualifiers = ("therapeutic use", *theme.get("qualifiers", ()))
    mesh: list[Mesh] = [("Ketamine", True, ketamine_qualifiers), pain_mesh, *theme["mesh"]]
    mesh.append(("Rats", False, ()) if pt == ["Journal Article"] else ("Humans", False, ()))
    return Rec(
        pmid,
        rng.choice(theme["titles"]).format(pain=pain),
        abstract,
        mesh=mesh,
        pt=pt,
        pub=date,
        entrez=date,
        authors=authors,
        journal=journal,
        iso=iso,
        keywords=["ketamine", pain],
    )


def write(path: Path, items: list[Rec | str]) -> None:
    """A gzip file in NLM's format, and its ``.md5`` line beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(document(items), mtime=0)
    path.write_bytes(data)
    digest = hashlib.md5(data).hexdigest()
    (path.parent / (path.name + ".md5")).write_text(f"MD5({path.name})= {digest}\n")


def main() -> None:
    rng = random.Random(20261130)
    records = [record(FIRST_PMID + i, rng) for i in range(320)]
    write(HERE / "baseline" / "pubmed26n0001.xml.gz", list(records[:160]))
    write(HERE / "baseline" / "pubmed26n0002.xml.gz", list(records[160:]))
    revised = records[5]
    revised.title += " (corrected)"
    revised.revised = (2026, 1, 15)
    new = [record(FIRST_PMID + 320 + i, rng) for i in range(10)]
    write(
        HERE / "updatefiles" / "pubmed26n0003.xml.gz",
        [deletion(records[7].pmid, records[8].pmid), revised, *new],
    )
    extra = [
        ("D000698", "Analgesia", ["E03.091"]),
        ("D006930", "Hyperalgesia", ["C10.597.751.418", "C23.888.592.612.330"]),
        ("D016194", "Receptors, N-Methyl-D-Aspartate", ["D12.776.543.550.450.750.500"]),
        ("D018691", "Excitatory Amino Acid Antagonists", ["D27.505.519.625.375"]),
        ("D009473", "Neuronal Plasticity", ["G11.561.638"]),
        ("D016207", "Cytokines", ["D12.644.276", "D12.776.467"]),
        ("D007249", "Inflammation", ["C23.550.470"]),
    ]
    (HERE / "desc-sample.xml").write_bytes(mesh_document([*MESH_TREE, *extra]))


if __name__ == "__main__":
    main()
