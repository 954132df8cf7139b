#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Writes the demo's small ratings data set: demo/data/movies.csv and
demo/data/ratings.csv. Deterministic (a fixed seed, Python's own generator),
so running it again gives the same files; both are kept in the repository.

60 made-up films, 12 in each of 5 genres. 300 users, each with a taste for one
or two genres, rate 18 to 36 films: mostly films of their genres (popular ones
more often), rated 3 to 5, and a few others, rated 1 to 4, mostly low. The
genres are not given to the factorization; the demo shows that its factors
find them.

    /usr/bin/python3 demo/make_data.py
"""

import csv
import os
import random

SEED = 20240601
USERS = 300
FIRST_MOVIE_ID = 1001  # ids of the user's own choosing, kept by nmf_matrix

GENRES = {
    "sci-fi": [
        "The Quiet Orbit", "Signal from Kepler Deep", "Rustwater Station",
        "The Last Cartographer of Mars", "Neon Tide", "Parallax Run",
        "Children of the Halo", "Glass Horizon", "The Tessellate Protocol",
        "Iron Meridian", "Starfall over Ashby", "Drift Sector Nine",
    ],
    "romance": [
        "Letters to Lisbon", "The Lighthouse Keeper's Daughter", "Autumn in Aberdeen",
        "Two Tickets to Marseille", "A Summer of Small Hours", "The Bakery on Rue Clement",
        "Second Chances at Willow Creek", "Hearts in Folded Paper", "Moonlight over Mostar",
        "The Florist's Mistake", "Dance with Me, Eleanor", "Rain on the Riviera",
    ],
    "horror": [
        "The Hollow under Pine Lake", "Whisperwood", "Night Shift at St. Agnes",
        "The Tenant in 4B", "Do Not Answer", "Bone Orchard", "The Ninth Cellar",
        "Dead Air at Midnight", "Mother of Crows", "They Came with the Fog",
        "The Drowned Choir", "The Grinning Hour",
    ],
    "animation": [
        "Pip and the Paper Moon", "The Clockwork Fox", "Bubbles Below",
        "Captain Pickle's Voyage", "Snowbound Sprouts", "The Dragon Who Couldn't Roar",
        "Robo-Rabbit", "Mira's Magic Umbrella", "Tiny Titans of Tumble Town",
        "The Great Sock Escape", "Lantern Festival", "Owl Hollow Academy",
    ],
    "documentary": [
        "Salt of the Andes", "The Coral Archive", "Voices of the Steppe", "Inside the Hive",
        "The Last Glassblowers", "Rivers without End", "Code and Conscience",
        "The Night Sky Atlas", "Monsoon Cities", "Seeds of Svalbard", "The Bread Makers",
        "Deep Time: Reading the Rocks",
    ],
}


def weighted_sample(rng, items, weight, k):
    """k distinct items, each drawn with probability proportional to its weight
    (Efraimidis & Spirakis: keep the k largest u ** (1 / w))."""
    keyed = sorted(items, key=lambda x: rng.random() ** (1.0 / weight[x]), reverse=True)
    return keyed[:k]


def main():
    rng = random.Random(SEED)
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "data")
    os.makedirs(out, exist_ok=True)

    movies = []  # (movie_id, title, genre)
    for genre, titles in GENRES.items():
        for title in titles:
            movies.append((FIRST_MOVIE_ID + len(movies), title, genre))
    genre_of = {m: g for m, _, g in movies}
    ids = [m for m, _, _ in movies]
    # Popularity: a few films of each genre are seen far more often than the rest.
    popularity = {m: rng.choice([1, 1, 1, 2, 2, 4, 8]) for m in ids}

    ratings = []  # (user_id, movie_id, rating)
    genres = list(GENRES)
    for user in range(1, USERS + 1):
        taste = rng.sample(genres, 1 if rng.random() < 0.6 else 2)
        n = rng.randint(18, 36)
        liked_pool = [m for m in ids if genre_of[m] in taste]
        other_pool = [m for m in ids if genre_of[m] not in taste]
        n_liked = min(round(n * 0.8), len(liked_pool) - 1)
        seen = weighted_sample(rng, liked_pool, popularity, n_liked)
        seen += weighted_sample(rng, other_pool, popularity, n - n_liked)
        for m in sorted(seen):
            if genre_of[m] in taste:
                r = rng.choices([3, 4, 5], weights=[15, 40, 45])[0]
            else:
                r = rng.choices([1, 2, 3, 4], weights=[35, 40, 20, 5])[0]
            ratings.append((user, m, r))

    with open(os.path.join(out, "movies.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["movie_id", "title", "genre"])
        w.writerows(movies)
    with open(os.path.join(out, "ratings.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["user_id", "movie_id", "rating"])
        w.writerows(ratings)
    print("wrote %d movies and %d ratings by %d users to %s" % (len(movies), len(ratings), USERS, out))


if __name__ == "__main__":
    main()
