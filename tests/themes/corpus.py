"""Tenants' answers with a known topic, made up for the themes tests and the benchmark: six
topics (the lift, mould and damp, noise from neighbours, heating, the rent and its costs, the
laundry room) in Swedish, Dutch and English, each answer put together from a handful of ways
tenants put it, with small talk before and after that says nothing of the topic (a greeting,
how long they have lived here, thanks for asking), as real answers carry it.

``answers(600)`` always gives the same 600 answers (a fixed seed), every text different.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TOPICS = ("lift", "damp", "noise", "heating", "rent", "laundry")
LANGUAGES = ("sv", "nl", "en")

# What tenants say of each topic: first a main statement, then (sometimes) a detail.
SAID: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "lift": {
        "sv": (
            (
                "Hissen är trasig igen.",
                "Hissen har stått still i två veckor.",
                "Vi måste bära barnvagnen i trappan eftersom hissen inte fungerar.",
                "Hissen fastnar mellan våningarna hela tiden.",
                "Ingen kommer och lagar hissen fast vi har ringt flera gånger.",
                "Hissdörren stänger inte ordentligt.",
                "Min mamma kommer inte upp till oss när hissen är sönder.",
                "Hissen luktar illa och knapparna är trasiga.",
                "Äntligen fungerar hissen, tack för att ni lagade den!",
                "Hissen stannar inte på femte våningen.",
            ),
            (
                "Jag bor på sjunde våningen och har dåliga knän.",
                "Det är tredje gången i år.",
                "Man blir instängd och larmet svarar inte.",
                "Med rullator går det inte att ta trapporna.",
                "Reparatören kom men den gick sönder igen dagen efter.",
                "Barnen är rädda för att åka i den.",
            ),
        ),
        "nl": (
            (
                "De lift is weer kapot.",
                "De lift doet het al twee weken niet.",
                "Ik moet de kinderwagen de trap op sjouwen omdat de lift stilstaat.",
                "De lift blijft steeds tussen twee verdiepingen hangen.",
                "Niemand komt de lift repareren, ook al hebben we vaak gebeld.",
                "De liftdeur gaat niet goed dicht.",
                "Mijn moeder kan niet naar boven als de lift stuk is.",
                "De lift stinkt en de knoppen werken niet.",
                "Eindelijk doet de lift het weer, fijn dat hij gerepareerd is!",
                "De lift stopt niet op de vijfde verdieping.",
            ),
            (
                "Ik woon op de zevende etage en heb slechte knieën.",
                "Dit is al de derde keer dit jaar.",
                "Je komt vast te zitten en de alarmknop doet niets.",
                "Met een rollator kan ik de trap niet nemen.",
                "De monteur is geweest maar de volgende dag was hij weer stuk.",
                "De kinderen durven er niet meer in.",
            ),
        ),
        "en": (
            (
                "The lift is broken again.",
                "The elevator has been out of order for two weeks.",
                "We have to carry the pushchair up the stairs because the lift doesn't work.",
                "The elevator keeps getting stuck between floors.",
                "Nobody comes to repair the lift even though we have called many times.",
                "The lift door doesn't close properly.",
                "My mother can't get up to our flat when the elevator is down.",
                "The lift smells bad and half the buttons are broken.",
                "The elevator finally works again, thanks for fixing it!",
                "The lift doesn't stop on the fifth floor any more.",
            ),
            (
                "I live on the seventh floor and have bad knees.",
                "This is the third time this year.",
                "You get trapped and the alarm button does nothing.",
                "With a walking frame I cannot take the stairs.",
                "The engineer came but it broke down again the next day.",
                "The children are scared to use it.",
            ),
        ),
    },
    "damp": {
        "sv": (
            (
                "Det luktar mögel i badrummet.",
                "Vi har fukt och svarta fläckar på väggen i sovrummet.",
                "Det växer mögel i köket och barnen hostar.",
                "Fönstren är blöta av kondens varje morgon.",
                "Tapeten släpper på grund av fukten.",
                "Det är fuktskador i källarförrådet och allt blir möglat.",
                "Mögel i hörnen trots att vi vädrar varje dag.",
                "Badrumsgolvet är fuktigt och fogarna är svarta.",
                "Fuktproblemet i badrummet är äntligen åtgärdat, tack!",
                "Det luktar unket i hela lägenheten.",
            ),
            (
                "Min son har astma och blir sämre.",
                "Vi har tvättat väggarna men det kommer tillbaka.",
                "Kläderna i garderoben luktar fukt.",
                "Ventilationen verkar inte fungera alls.",
                "Det har hållit på sedan i höstas.",
                "Vi vågar inte låta bebisen sova i det rummet.",
            ),
        ),
        "nl": (
            (
                "Het ruikt naar schimmel in de badkamer.",
                "We hebben vochtplekken en zwarte schimmel op de muur van de slaapkamer.",
                "Er groeit schimmel in de keuken en de kinderen hoesten.",
                "De ramen zijn elke ochtend nat van de condens.",
                "Het behang laat los door het vocht.",
                "De berging is vochtig en alles gaat schimmelen.",
                "Schimmel in de hoeken terwijl we elke dag luchten.",
                "De badkamervloer is altijd vochtig en de voegen zijn zwart.",
                "Het vochtprobleem in de badkamer is eindelijk opgelost, dank jullie!",
                "Het hele huis ruikt muf.",
            ),
            (
                "Mijn zoon heeft astma en het wordt erger.",
                "We hebben de muren schoongemaakt maar het komt steeds terug.",
                "De kleren in de kast ruiken vochtig.",
                "De ventilatie lijkt helemaal niet te werken.",
                "Het speelt al sinds vorig najaar.",
                "We durven de baby niet in die kamer te laten slapen.",
            ),
        ),
        "en": (
            (
                "There is a smell of mould in the bathroom.",
                "We have damp patches and black mould on the bedroom wall.",
                "Mould is growing in the kitchen and the children are coughing.",
                "The windows are wet with condensation every morning.",
                "The wallpaper is peeling off because of the damp.",
                "The storage room in the basement is damp and everything goes mouldy.",
                "Mould in the corners even though we air the rooms every day.",
                "The bathroom floor is always damp and the grout has gone black.",
                "The damp in the bathroom has finally been fixed, thank you!",
                "The whole flat smells musty.",
            ),
            (
                "My son has asthma and it is getting worse.",
                "We have cleaned the walls but it keeps coming back.",
                "The clothes in the wardrobe smell of damp.",
                "The ventilation doesn't seem to work at all.",
                "It has been going on since last autumn.",
                "We don't dare to let the baby sleep in that room.",
            ),
        ),
    },
    "noise": {
        "sv": (
            (
                "Grannarna spelar hög musik på natten.",
                "Det är så lyhört att jag inte kan sova.",
                "Det är fest i lägenheten ovanför varje helg.",
                "Grannen borrar och bankar sent på kvällen.",
                "Hunden hos grannen skäller hela dagarna.",
                "Folk skriker och bråkar i trapphuset på nätterna.",
                "Jag hör allt grannarna säger genom väggen.",
                "Grannarna ovanför springer och stampar hela kvällarna.",
                "Det har blivit mycket lugnare sedan de nya grannarna flyttade in.",
                "Någon spelar trummor mitt i natten.",
            ),
            (
                "Jag jobbar tidigt och behöver sova.",
                "Vi har pratat med dem men inget händer.",
                "Det pågår ofta till tre på natten.",
                "Mina barn vaknar varje natt.",
                "Jag har skrivit lappar men de bryr sig inte.",
                "Det hörs ända ner till bottenvåningen.",
            ),
        ),
        "nl": (
            (
                "De buren draaien 's nachts harde muziek.",
                "Het huis is zo gehorig dat ik niet kan slapen.",
                "Elk weekend is er een feest bij de bovenburen.",
                "De buurman boort en timmert tot laat in de avond.",
                "De hond van de buren blaft de hele dag.",
                "Er wordt 's nachts geschreeuwd en ruzie gemaakt in het portiek.",
                "Ik hoor alles wat de buren zeggen door de muur.",
                "De bovenburen rennen en stampen de hele avond.",
                "Het is veel rustiger geworden sinds de nieuwe buren er wonen.",
                "Iemand speelt midden in de nacht op een drumstel.",
            ),
            (
                "Ik werk vroeg en moet kunnen slapen.",
                "We hebben met ze gepraat maar er verandert niets.",
                "Het gaat vaak door tot drie uur 's nachts.",
                "Mijn kinderen worden elke nacht wakker.",
                "Ik heb briefjes geschreven maar het kan ze niets schelen.",
                "Je hoort het tot op de begane grond.",
            ),
        ),
        "en": (
            (
                "The neighbours play loud music at night.",
                "The walls are so thin that I can't sleep.",
                "There is a party in the flat upstairs every weekend.",
                "The neighbour is drilling and hammering late in the evening.",
                "The dog next door barks all day long.",
                "People shout and fight in the stairwell at night.",
                "I can hear every word my neighbours say through the wall.",
                "The people upstairs run and stomp around all evening.",
                "It has become much quieter since the new neighbours moved in.",
                "Someone plays the drums in the middle of the night.",
            ),
            (
                "I work early and need my sleep.",
                "We have talked to them but nothing changes.",
                "It often goes on until three in the morning.",
                "My children wake up every night.",
                "I have left notes but they don't care.",
                "You can hear it all the way down on the ground floor.",
            ),
        ),
    },
    "heating": {
        "sv": (
            (
                "Elementen är kalla och det är sexton grader inne.",
                "Vi fryser på vintern, värmen fungerar dåligt.",
                "Vi har inte haft varmvatten sedan i måndags.",
                "Elementet i vardagsrummet blir aldrig varmt.",
                "Det drar kallt från fönstren och golvet är iskallt.",
                "Värmen stängs av på natten och vi vaknar frusna.",
                "Termostaten på elementet går inte att vrida.",
                "Duschen blir bara ljummen.",
                "Nu är det skönt varmt i lägenheten sedan ni bytte elementen.",
                "Vi har köpt ett extra element för att klara kylan.",
            ),
            (
                "Barnen sover med mössa.",
                "Elräkningen blir dyr med vårt eget värmeelement.",
                "Det har varit så sedan oktober.",
                "Felanmälan säger att allt är normalt.",
                "Min pappa är gammal och tål inte kylan.",
                "Grannarna har samma problem.",
            ),
        ),
        "nl": (
            (
                "De radiatoren zijn koud en het is binnen zestien graden.",
                "We hebben het 's winters koud, de verwarming doet het slecht.",
                "We hebben al sinds maandag geen warm water.",
                "De radiator in de woonkamer wordt nooit warm.",
                "Het tocht bij de ramen en de vloer is ijskoud.",
                "De verwarming gaat 's nachts uit en we worden verkleumd wakker.",
                "De thermostaatknop op de radiator zit vast.",
                "De douche wordt maar lauw.",
                "Het is nu lekker warm in huis sinds jullie de radiatoren hebben vervangen.",
                "We hebben een extra kacheltje gekocht tegen de kou.",
            ),
            (
                "De kinderen slapen met een muts op.",
                "De energierekening wordt duur met ons eigen kacheltje.",
                "Het is al zo sinds oktober.",
                "De storingsdienst zegt dat alles normaal is.",
                "Mijn vader is oud en kan niet tegen de kou.",
                "De buren hebben hetzelfde probleem.",
            ),
        ),
        "en": (
            (
                "The radiators are cold and it is sixteen degrees indoors.",
                "We are freezing in the winter, the heating works badly.",
                "We have had no hot water since Monday.",
                "The radiator in the living room never gets warm.",
                "There is a cold draught from the windows and the floor is icy.",
                "The heating goes off at night and we wake up frozen.",
                "The thermostat valve on the radiator is stuck.",
                "The shower only gets lukewarm.",
                "It is nice and warm in the flat now that you replaced the radiators.",
                "We bought an electric heater to cope with the cold.",
            ),
            (
                "The children sleep wearing hats.",
                "Our electricity bill goes up with the extra heater.",
                "It has been like this since October.",
                "The repairs line says everything is normal.",
                "My father is old and can't stand the cold.",
                "The neighbours have the same problem.",
            ),
        ),
    },
    "rent": {
        "sv": (
            (
                "Hyran är för hög.",
                "Efter hyreshöjningen har vi knappt råd att bo kvar.",
                "Vi betalar mycket i hyra men får ingen service.",
                "Hyran har höjts tre år i rad.",
                "Avgiften för parkering och förråd blir dyrare hela tiden.",
                "Jag förstår inte vad vi betalar för i hyresavin.",
                "Med min pension räcker pengarna inte till hyran.",
                "Hyran är rimlig för vad man får.",
                "Varför kostar renoveringen så mycket mer i hyra?",
                "Vi har fått en extra kostnad på hyran utan förklaring.",
            ),
            (
                "Lönen följer inte med.",
                "Vi funderar på att flytta.",
                "Andra bolag i området är billigare.",
                "Det är svårt att få pengarna att räcka till mat.",
                "Ingen har förklarat varför.",
                "Vi är en familj med fyra barn.",
            ),
        ),
        "nl": (
            (
                "De huur is veel te hoog.",
                "Na de huurverhoging kunnen we het bijna niet meer betalen.",
                "We betalen veel huur maar krijgen geen service.",
                "De huur is drie jaar op rij verhoogd.",
                "De servicekosten stijgen elk jaar.",
                "Ik begrijp niet waarvoor we allemaal betalen op de huurnota.",
                "Van mijn AOW kan ik de huur bijna niet opbrengen.",
                "De huur is redelijk voor wat je krijgt.",
                "Waarom gaat de huur na de renovatie zo veel omhoog?",
                "Er staat een extra bedrag op de huur zonder uitleg.",
            ),
            (
                "Mijn salaris stijgt niet mee.",
                "We denken erover om te verhuizen.",
                "Andere verhuurders in de wijk zijn goedkoper.",
                "Het is moeilijk om genoeg over te houden voor boodschappen.",
                "Niemand heeft uitgelegd waarom.",
                "We zijn een gezin met vier kinderen.",
            ),
        ),
        "en": (
            (
                "The rent is far too high.",
                "After the rent increase we can barely afford to stay.",
                "We pay a lot of rent but get no service.",
                "The rent has gone up three years in a row.",
                "Service charges keep rising every year.",
                "I don't understand what we are paying for on the rent statement.",
                "With my pension I can hardly pay the rent.",
                "The rent is fair for what you get.",
                "Why does the rent go up so much after the renovation?",
                "There is an extra charge on the rent with no explanation.",
            ),
            (
                "My wages don't keep up.",
                "We are thinking about moving out.",
                "Other landlords in the area are cheaper.",
                "It is hard to have enough left for food.",
                "Nobody has explained why.",
                "We are a family with four children.",
            ),
        ),
    },
    "laundry": {
        "sv": (
            (
                "Tvättstugan är alltid fullbokad.",
                "Två av tvättmaskinerna i tvättstugan är trasiga.",
                "Folk lämnar smutsig tvätt kvar i maskinerna.",
                "Torktumlaren torkar inte kläderna ordentligt.",
                "Det är svårt att få en tvättid på helgen.",
                "Tvättstugan är smutsig och luddet ligger överallt.",
                "Någon tar min tvättid hela tiden.",
                "Bokningstavlan i tvättstugan fungerar inte.",
                "De nya maskinerna i tvättstugan är jättebra!",
                "Torkrummet luktar illa och blir inte varmt.",
            ),
            (
                "Vi är fem i familjen och tvättar mycket.",
                "Jag har klagat flera gånger.",
                "Man får vänta en vecka på en tid.",
                "Det är långt att gå till tvättstugan i andra huset.",
                "Det borde finnas fler maskiner.",
                "Ingen städar efter sig.",
            ),
        ),
        "nl": (
            (
                "De wasruimte is altijd volgeboekt.",
                "Twee van de wasmachines in de gemeenschappelijke wasruimte zijn kapot.",
                "Mensen laten vuile was in de machines liggen.",
                "De droger droogt de kleren niet goed.",
                "In het weekend is er bijna nooit een wasbeurt vrij.",
                "De wasruimte is vies en er ligt overal pluis.",
                "Iemand neemt steeds mijn wastijd in.",
                "Het reserveringssysteem van de wasruimte werkt niet.",
                "De nieuwe machines in de wasruimte zijn super!",
                "De droogruimte stinkt en wordt niet warm.",
            ),
            (
                "We zijn met vijf thuis en wassen veel.",
                "Ik heb al vaak geklaagd.",
                "Je moet een week wachten op een tijd.",
                "Het is ver lopen naar de wasruimte in het andere gebouw.",
                "Er zouden meer machines moeten komen.",
                "Niemand ruimt zijn rommel op.",
            ),
        ),
        "en": (
            (
                "The laundry room is always fully booked.",
                "Two of the washing machines in the laundry room are broken.",
                "People leave dirty laundry in the machines.",
                "The tumble dryer doesn't dry the clothes properly.",
                "It is hard to get a laundry slot at the weekend.",
                "The laundry room is dirty and there is lint everywhere.",
                "Someone keeps taking my laundry slot.",
                "The booking board in the laundry room doesn't work.",
                "The new machines in the laundry room are great!",
                "The drying room smells and never gets warm.",
            ),
            (
                "We are a family of five and do a lot of washing.",
                "I have complained several times.",
                "You have to wait a week for a slot.",
                "It is a long walk to the laundry room in the other building.",
                "There should be more machines.",
                "Nobody cleans up after themselves.",
            ),
        ),
    },
}

# Small talk that says nothing of the topic, before and after.
BEFORE = {
    "sv": (
        "Hej!",
        "Hej, jag har bott här i tolv år.",
        "Bra att ni frågar.",
        "Hej, det här vill jag säga:",
        "Jag bor på Ängsbacksvägen sedan 2015.",
        "Hej från trappuppgång B.",
    ),
    "nl": (
        "Hallo!",
        "Hoi, ik woon hier al twaalf jaar.",
        "Goed dat jullie het vragen.",
        "Hallo, dit wil ik even kwijt:",
        "Ik woon sinds 2015 aan de Lindelaan.",
        "Groeten uit portiek B.",
    ),
    "en": (
        "Hi!",
        "Hello, I have lived here for twelve years.",
        "Good that you ask.",
        "Hi, this is what I want to say:",
        "I have lived on Meadow Road since 2015.",
        "Hello from stairwell B.",
    ),
}
AFTER = {
    "sv": ("Tack!", "Mvh Fatima", "Hoppas ni gör något åt det.", "Tack för att ni lyssnar."),
    "nl": (
        "Bedankt!",
        "Groetjes, Fatima",
        "Ik hoop dat jullie er iets aan doen.",
        "Dank voor het luisteren.",
    ),
    "en": (
        "Thanks!",
        "Regards, Fatima",
        "I hope you do something about it.",
        "Thank you for listening.",
    ),
}

# Scores from 1 to 10 that tenants with each topic tend to give.
SCORES = {
    "lift": (2, 6),
    "damp": (1, 4),
    "noise": (3, 7),
    "heating": (2, 5),
    "rent": (3, 7),
    "laundry": (5, 9),
}


@dataclass(frozen=True)
class Made:
    """One made-up answer: its words, language, topic and score."""

    text: str
    language: str
    topic: str
    score: int


def answers(count: int = 600, *, seed: int = 16) -> list[Made]:
    """``count`` different answers, spread evenly over the languages and the topics."""
    rng = random.Random(seed)
    made: list[Made] = []
    seen: set[str] = set()
    cells = [(language, topic) for language in LANGUAGES for topic in TOPICS]
    attempts = 0
    while len(made) < count:
        language, topic = cells[len(made) % len(cells)]
        text = _one(rng, language, topic)
        attempts += 1
        if attempts > count * 50:
            raise ValueError(f"cannot make {count} different answers")
        if text in seen:
            continue
        seen.add(text)
        low, high = SCORES[topic]
        made.append(Made(text, language, topic, rng.randint(low, high)))
    return made


def _one(rng: random.Random, language: str, topic: str) -> str:
    mains, details = SAID[topic][language]
    parts = [rng.choice(mains)]
    if rng.random() < 0.6:
        parts.append(rng.choice(details))
    if rng.random() < 0.35:
        parts.insert(0, rng.choice(BEFORE[language]))
    if rng.random() < 0.3:
        parts.append(rng.choice(AFTER[language]))
    return " ".join(parts)
