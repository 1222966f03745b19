"""Which Debian-packaged files the corpora are built from, and on which side of
the train/eval wall each one stands. Everything is listed by name so a review
can see exactly what a model was trained on; check_disjoint() runs at import.

Split rule: a package feeds TRAIN or EVAL, never both; within a package every
file is either used (with a kind) or excluded with a reason.
"""
import glob
import os

# ------------------------------------------------------------ TRAIN speech
# codec2-examples (LGPL-2.1): real speech, 8 kHz 16-bit mono raw unless noted.
# Classified by file name, codec2's own docs and signal statistics (spectral
# flatness, energy range, cross-correlation for duplicates): hts*, forig/morig,
# big_dog, cross, mmt1 and david4 are studio speech; the call-sign files are
# off-air HF SSB recordings (speech under radio noise and fading), marked
# condition "radio" so a trainer can keep them out of clean targets.
CODEC2 = "/usr/share/codec2"
CODEC2_SPEECH = [
    # (path, format, native rate, condition)
    ("raw/hts.raw", "s16le", 8000, "clean"),      # contains hts1/hts2 (+a)
    ("raw/big_dog.raw", "s16le", 8000, "clean"),
    ("raw/cross.raw", "s16le", 8000, "clean"),
    ("raw/forig.raw", "s16le", 8000, "clean"),
    ("raw/morig.raw", "s16le", 8000, "clean"),
    ("raw/mmt1.raw", "s16le", 8000, "noisy"),      # steady background, 21 dB range
    ("wav/david4.wav", None, 8000, "clean"),
    ("raw/speech_orig_16k.wav", None, 16000, "clean"),
    ("wav/wia_16kHz.wav", None, 16000, "clean"),
    ("raw/cq_ref.raw", "s16le", 8000, "radio"),
    ("raw/g3plx.raw", "s16le", 8000, "radio"),
    ("raw/kristoff.raw", "s16le", 8000, "radio"),
    ("raw/ve9qrp.raw", "s16le", 8000, "radio"),
    ("raw/vk5qi.raw", "s16le", 8000, "radio"),
    ("wav/vk2tpm_004.wav", None, 8000, "radio"),
]
CODEC2_EXCLUDED = {
    "raw/hts1.raw": "first 6 s of hts.raw", "raw/hts2.raw": "second 6 s of hts.raw",
    "raw/hts1a.raw": "first 3 s of hts1.raw", "raw/hts2a.raw": "first 3 s of hts2.raw",
    "raw/ve9qrp_10s.raw": "first 10 s of ve9qrp.raw",
    "raw/f2400.raw": "forig through a 2400 bit/s vocoder (coded, not clean)",
    "raw/m2400.raw": "morig through a 2400 bit/s vocoder (coded, not clean)",
    "raw/700d_end_over.raw": "FreeDV 700D modem signal",
    "raw/testframes_700d.raw": "FreeDV 700D modem test frames",
    "raw/test_datac1_006.raw": "datac1 modem signal",
    "raw/sine1k_2Hz_spread.raw": "1 kHz sine, channel simulation",
    "raw/sine1k_2ms_delay_2Hz_spread.raw": "1 kHz sine, channel simulation",
    "wav/all.wav": "compilation of hts, morig, forig, ve9qrp, cq_ref",
    "wav/big_dog.wav": "same as raw/big_dog.raw", "wav/cross.wav": "same as raw/cross.raw",
    "wav/f2400.wav": "vocoded", "wav/m2400.wav": "vocoded",
    "wav/forig.wav": "same as raw/forig.raw", "wav/morig.wav": "same as raw/morig.raw",
    "wav/hts1a.wav": "same as raw/hts1a.raw", "wav/hts2a.wav": "same as raw/hts2a.raw",
    "wav/mmt1.wav": "same as raw/mmt1.raw", "wav/ve9qrp.wav": "same as raw/ve9qrp.raw",
    "wav/vk5qi.wav": "same as raw/vk5qi.raw",
}

# TTS engines (train only). Voices are chosen per utterance in build_speech.py.
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]  # awb_time: time-only domain
FESTIVAL_VOICES = {  # voice function -> package
    "kal_diphone": "festvox-kallpc16k",
    "ked_diphone": "festvox-kdlpc16k",
    "cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
}
ESPEAK_VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                 "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]  # mb-* need non-free mbrola
ESPEAK_VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3",
                   "f4", "f5", "klatt", "klatt2", "klatt3", "croak", "Andy", "ed",
                   "grandpa", "linda", "max", "paul", "steph", "Alex", "Michael",
                   "adam", "anika", "aunty", "belinda", "benjamin", "boris",
                   "caleb", "david", "edward", "john", "norbert", "quincy", "rob",
                   "robert", "shelby"]

# ------------------------------------------------------------- TRAIN noise
# openttd-opensfx (CC-BY-SA-3.0 as a collection; per-sound credits are in
# the .cat entry names, which the manifest keeps): recorded real-world sounds.
OPENSFX_CAT = "/usr/share/games/openttd/baseset/opensfx/opensfx.cat"
OPENSFX_EXCLUDED = {34: "empty file", 50: "empty file"}
# tuxpaint-data (GPL-2+): recorded tool sounds. Voices and laughter (found by
# name and by a voicing measure) are left out so "noise" never holds speech.
TUXPAINT = "/usr/share/tuxpaint/sounds"
TUXPAINT_NOISE = ["bleep", "bubble", "click", "eraser1", "eraser2", "fill", "flip",
                  "grow", "harp", "italic_off", "italic_on", "keyclick", "line_end",
                  "line_start", "mirror", "paint1", "paint2", "paint3", "paint4",
                  "prompt", "return", "save", "scroll", "shrink", "stamp", "thick",
                  "thin", "typewriterbell"]
TUXPAINT_EXCLUDED = {"areyousure": "spoken", "youcannot": "spoken",
                     "giggle": "laughter (voice)", "tuxok": "voice"}
# More recorded effects: two desktop sound themes, game effects and game
# ambience (footsteps, digging, doors, fire, water, lava, explosions,
# sliding), so recorded noise is more than openttd's machines and tuxpaint's
# tools (98 clips, 2.6 min). Every file a pattern matches except the listed
# ones: voices and music are left out ("noise" never holds speech; music is
# a class of its own, not measured). Opt-in (build_noise.py --extra-fx): the
# shipped denoise model was trained without them, and the models trained
# with them are in docs/denoise.md (Training), none shipped.
FX_GLOBS = [
    # (package, licence, glob, {file name: why excluded})
    ("oxygen-sounds", "LGPL-3+", "/usr/share/sounds/Oxygen-*.ogg", {}),
    ("deepin-sound-theme", "GPL-3+", "/usr/share/sounds/deepin/stereo/*.wav", {}),
    ("chromium-bsu-data", "Clarified-Artistic", "/usr/share/games/chromium-bsu/wav/*.wav",
     {"music_game.wav": "music", "music_menu.wav": "music"}),
    ("mirrormagic-data", "GPL", "/usr/share/games/mirrormagic/sounds/snd_classic/*.wav",
     {"autsch.wav": "voice (ouch)", "lachen.wav": "laughter", "hui.wav": "voice (whee)",
      "njam.wav": "voice (munching)"}),
    ("frozen-bubble-data", "GPL-2", "/usr/share/games/frozen-bubble/snd/*.ogg",
     {"frozen-mainzik-1p.ogg": "music", "frozen-mainzik-2p.ogg": "music",
      "introzik.ogg": "music", "hurry.ogg": "named like a voice", "noh.ogg": "named like a voice",
      "lose.ogg": "named like a voice", "snore.ogg": "voice (snoring)"}),
    ("sound-icons", "GPL-2+", "/usr/share/sounds/sound-icons/*.wav", {}),
    ("extremetuxracer-data", "GPL-2+", "/usr/share/games/etr/sounds/*.wav", {}),
    ("minetest-data", "CC-BY-SA-3.0 / LGPL-2.1+",
     "/usr/share/games/minetest/games/minetest_game/mods/*/sounds/*.ogg",
     {"player_damage.ogg": "voice (grunt)"}),
]


def fx_files():
    """[(package, licence, path)] of FX_GLOBS, sorted, exclusions applied."""
    out = []
    for pkg, lic, pattern, excluded in FX_GLOBS:
        for p in sorted(glob.glob(pattern)):
            if os.path.basename(p) not in excluded:
                out.append((pkg, lic, p))
    return out


# Synthetic noise types; the held-out ones never appear in training.
TRAIN_NOISE_TYPES = ["white", "pink", "brown", "hum", "babble", "clicks",
                     "keyboard", "fan"]
EVAL_NOISE_TYPES = ["alarm", "babble_human"]

# ------------------------------------------------------------- EVAL speech
ALSA = "/usr/share/sounds/alsa"  # alsa-utils (GPL-2): a man speaking channel names, 48 kHz
ALSA_SPEECH = ["Front_Center", "Front_Left", "Front_Right", "Rear_Center",
               "Rear_Left", "Rear_Right", "Side_Left", "Side_Right"]
ALSA_EXCLUDED = {"Noise": "noise test signal, not speech"}
# asterisk-core-sounds-en-g722 (CC-BY-SA-3.0): Allison Smith's recorded IVR
# prompts, G.722 (16 kHz). Top-level phrase prompts only: letters/, digits/,
# phonetic/ are single words, silence/ is silence.
ASTERISK = "/usr/share/asterisk/sounds/en_US_f_Allison"
ASTERISK_MIN_S = 1.5
# pocketsphinx-testdata (BSD-2/BSD-3): speech-recognition test utterances,
# several US speakers, plus LibriVox read speech (public domain), 16 kHz.
SPHINX = "/usr/share/pocketsphinx/test/data"
SPHINX_SPEECH = [("goforward.raw", "s16le"), ("numbers.raw", "s16le"),
                 ("something.raw", "s16le"), ("tidigits/dhd.2934z.raw", "s16le"),
                 ("cards/001.wav", None), ("cards/002.wav", None),
                 ("cards/003.wav", None), ("cards/004.wav", None),
                 ("cards/005.wav", None),
                 ("librivox/sense_and_sensibility_01_austen_64kb-0870.wav", None),
                 ("librivox/sense_and_sensibility_01_austen_64kb-0880.wav", None),
                 ("librivox/sense_and_sensibility_01_austen_64kb-0890.wav", None),
                 ("librivox/sense_and_sensibility_01_austen_64kb-0920.wav", None),
                 ("librivox/sense_and_sensibility_01_austen_64kb-0930.wav", None)]

# -------------------------------------------------------------- EVAL noise
PINGUS = "/usr/share/games/pingus/data/sounds"  # pingus-data (GPL-2+)
PINGUS_NOISE = ["chink", "digger", "plop", "plop2", "splash", "tick", "ting"]
PINGUS_EXCLUDED = {"goodidea": "spoken", "letsgo": "spoken", "ohno": "spoken",
                   "yipee": "voice"}
LBREAKOUT = "/usr/share/games/lbreakout2/sounds"  # lbreakout2-data (GPL)
LBREAKOUT_NOISE = ["attach", "bonus_magnet", "chaos", "click", "darkness", "disable",
                   "exp", "expand", "expl_ball", "extraball", "freeze", "gainlife",
                   "ghost", "goldshower", "joker", "looselife", "malus_magnet",
                   "menu_click", "menu_motion", "metal", "reflect_brick",
                   "reflect_paddle", "score", "shot", "shrink", "speeddown",
                   "speedup", "standard", "timeadd", "wall", "weak_ball"]
LBREAKOUT_EXCLUDED = {"dammit": "spoken", "damn": "spoken", "excellent": "spoken",
                      "verygood": "spoken", "wontgiveup": "spoken"}
# pingus-data's game music: tracker modules (Impulse Tracker / Scream
# Tracker, sampled instruments), composed music no training step has heard;
# build_music.py takes a 20 s excerpt of each as held-out music.
PINGUS_MUSIC_DIR = "/usr/share/games/pingus/data/music"
FREEDESKTOP = "/usr/share/sounds/freedesktop/stereo"  # sound-theme-freedesktop
FREEDESKTOP_NOISE = ["alarm-clock-elapsed", "audio-volume-change", "bell",
                     "camera-shutter", "complete", "device-added", "device-removed",
                     "dialog-error", "dialog-information", "dialog-warning",
                     "message-new-instant", "message", "network-connectivity-established",
                     "network-connectivity-lost", "phone-incoming-call",
                     "phone-outgoing-busy", "phone-outgoing-calling", "power-plug",
                     "power-unplug", "screen-capture", "service-login",
                     "service-logout", "suspend-error", "trash-empty",
                     "window-attention", "window-question"]
FREEDESKTOP_EXCLUDED = {"audio-channel-*": "spoken channel names",
                        "audio-test-signal": "test tone"}

# ------------------------------------------------------------------ images
# Photographs only (the other wallpapers are vector art / gradients; see
# docs/data.md). Elephants is a painting shipped at three sizes: left out so
# no picture can sit on both sides of the split.
IMAGES = [
    # (package, path)
    ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/%s.jpg" % n)
    for n in ["Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow",
              "LadyBird", "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower"]
] + [
    ("lomiri-wallpapers", "/usr/share/backgrounds/%s.jpg" % n)
    for n in ["Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly",
              "Kleiber_by_Lukas_Baubkus", "Picture_0B_by_freespace",
              "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede",
              "aitzgorri_by_Aitzol_Berasategi", "analogpattern_by_Peter_Nerlich",
              "free_by_Peter_Nerlich", "friends_by_Aitzol_Berasategi",
              "greentock_by_Peter_Nerlich", "life_by_Aitzol_Berasategi",
              "picosdeeuropa_by_Aitzol_Berasategi", "seeding_by_Clements_Engelhardt",
              "sunset_by_Aitzol_Berasategi"]
]
# Held out by source image, fixed (not seeded) so every run evaluates on the
# same pictures: one per package-photographer group.
IMAGES_HELDOUT = {"/usr/share/backgrounds/mate/nature/LadyBird.jpg",
                  "/usr/share/backgrounds/mate/nature/Storm.jpg",
                  "/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg",
                  "/usr/share/backgrounds/Dragonfly_by_Bolly.jpg"}
# Non-photographic wallpapers, used only with build_images.py --graphics.
GRAPHICS = [("ukui-wallpapers", "/usr/share/backgrounds/%s" % n)
            for n in ["calla.png", "city.png", "desert.png", "firstgeneration.jpg",
                      "fluent-color.png", "goldfish.png", "rhythm.jpg",
                      "rollpaper.png", "string.jpg", "the-mouse.jpg"]]

# ------------------------------------------------------------ package table
TRAIN_PACKAGES = {"codec2-examples": "LGPL-2.1", "flite": "BSD-like (CMU)",
                  "festival": "BSD-like (CSTR)", "festvox-kallpc16k": "BSD-like (CSTR/OGI)",
                  "festvox-kdlpc16k": "BSD-like (CSTR/OGI)",
                  "festvox-us-slt-hts": "BSD-3-clause (CMU/HTS)",
                  "espeak-ng": "GPL-3+", "openttd-opensfx": "CC-BY-SA-3.0",
                  "tuxpaint-data": "GPL-2+",
                  **{pkg: lic for pkg, lic, _, _ in FX_GLOBS}, "mate-backgrounds": "GPL-2+ / CC-BY-SA-4.0",
                  "lomiri-wallpapers": "CC-BY-4.0 / CC-BY-SA-3.0/4.0 / CC0",
                  "ukui-wallpapers": "CC-BY-SA-3.0"}
EVAL_PACKAGES = {"alsa-utils": "GPL-2", "asterisk-core-sounds-en-g722": "CC-BY-SA-3.0",
                 "pocketsphinx-testdata": "BSD-2/BSD-3 (LibriVox: public domain)",
                 "pingus-data": "GPL-2+", "lbreakout2-data": "GPL",
                 "sound-theme-freedesktop": "GPL-2+ / CC-BY-3.0 / CC-BY-SA-3.0"}
# Image hold-out is by picture inside the same packages (the brief asks for
# a split by source image), so images are checked separately below.


def train_audio_files():
    """Every source file the training audio may read."""
    out = [os.path.join(CODEC2, p) for p, _, _, _ in CODEC2_SPEECH]
    out.append(OPENSFX_CAT)
    out += [os.path.join(TUXPAINT, n + ".wav") for n in TUXPAINT_NOISE]
    out += [p for _, _, p in fx_files()]
    return out


def eval_audio_files(asterisk_names=()):
    out = [os.path.join(ALSA, n + ".wav") for n in ALSA_SPEECH]
    out += [os.path.join(ASTERISK, n) for n in asterisk_names]
    out += [os.path.join(SPHINX, p) for p, _ in SPHINX_SPEECH]
    out += [os.path.join(PINGUS, n + ".wav") for n in PINGUS_NOISE]
    out += [os.path.join(LBREAKOUT, n + ".wav") for n in LBREAKOUT_NOISE]
    out += [os.path.join(FREEDESKTOP, n + ".oga") for n in FREEDESKTOP_NOISE]
    return out


def check_disjoint():
    both = set(TRAIN_PACKAGES) & set(EVAL_PACKAGES)
    assert not both, "packages on both sides: %s" % both
    tr, ev = set(train_audio_files()), set(eval_audio_files())
    assert not (tr & ev), "files on both sides: %s" % (tr & ev)
    assert not (set(TRAIN_NOISE_TYPES) & set(EVAL_NOISE_TYPES))
    img = {p for _, p in IMAGES}
    assert IMAGES_HELDOUT <= img and len(img) == len(IMAGES)
    assert not ({p for _, p in GRAPHICS} & img)


check_disjoint()


def markdown():
    """The split as Markdown (docs/data.md's file lists are this output)."""
    out = ["### Train", "", "| package | files |", "| --- | --- |"]
    out.append("| codec2-examples | %s |" % ", ".join(
        "`%s` (%s)" % (p, c) for p, _, _, c in CODEC2_SPEECH))
    out.append("| flite | voices %s |" % ", ".join(FLITE_VOICES))
    out.append("| festival + voices | %s |" % ", ".join(
        "`%s` (%s)" % (v, p) for v, p in sorted(FESTIVAL_VOICES.items())))
    out.append("| espeak-ng | %d voices x %d variants: %s; %s |" % (
        len(ESPEAK_VOICES), len(ESPEAK_VARIANTS), ", ".join(ESPEAK_VOICES),
        ", ".join(v or "(default)" for v in ESPEAK_VARIANTS)))
    out.append("| openttd-opensfx | `opensfx.cat` entries 0-72 except %s |" % ", ".join(
        "%d (%s)" % kv for kv in sorted(OPENSFX_EXCLUDED.items())))
    out.append("| tuxpaint-data | %s |" % ", ".join(TUXPAINT_NOISE))
    for pkg, _, pattern, excluded in FX_GLOBS:
        out.append("| %s | `%s`%s |" % (pkg, pattern, " except " + ", ".join(sorted(excluded))
                                         if excluded else ""))
    out.append("| synthetic | %s |" % ", ".join(TRAIN_NOISE_TYPES))
    out.append("| images (train) | %s |" % ", ".join(
        "`%s`" % os.path.basename(p) for _, p in IMAGES if p not in IMAGES_HELDOUT))
    out += ["", "### Eval", "", "| package | files |", "| --- | --- |"]
    out.append("| alsa-utils | %s |" % ", ".join(ALSA_SPEECH))
    out.append("| asterisk-core-sounds-en-g722 | top-level `*.g722` prompts >= %.1f s "
               "(a seeded choice for the clean set, the rest for human babble) |" % ASTERISK_MIN_S)
    out.append("| pocketsphinx-testdata | %s |" % ", ".join("`%s`" % p for p, _ in SPHINX_SPEECH))
    out.append("| pingus-data | %s; music: every module in `%s` (20 s excerpts) |" % (
        ", ".join(PINGUS_NOISE), PINGUS_MUSIC_DIR))
    out.append("| lbreakout2-data | %s |" % ", ".join(LBREAKOUT_NOISE))
    out.append("| sound-theme-freedesktop | %s |" % ", ".join(FREEDESKTOP_NOISE))
    out.append("| synthetic | %s |" % ", ".join(EVAL_NOISE_TYPES))
    out.append("| images (held out) | %s |" % ", ".join(
        "`%s`" % os.path.basename(p) for p in sorted(IMAGES_HELDOUT)))
    out += ["", "### Excluded", "", "| package | file | why |", "| --- | --- | --- |"]
    for pkg, d in (("codec2-examples", CODEC2_EXCLUDED), ("tuxpaint-data", TUXPAINT_EXCLUDED),
                   *((pkg, ex) for pkg, _, _, ex in FX_GLOBS if ex),
                   ("alsa-utils", ALSA_EXCLUDED), ("pingus-data", PINGUS_EXCLUDED),
                   ("lbreakout2-data", LBREAKOUT_EXCLUDED),
                   ("sound-theme-freedesktop", FREEDESKTOP_EXCLUDED)):
        for k, v in sorted(d.items()):
            out.append("| %s | `%s` | %s |" % (pkg, k, v))
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
