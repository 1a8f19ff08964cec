"""Sentences a crisis-line counselor says, for the recogniser's language model.

pocketsphinx's general English model mishears short counselor questions
("are you thinking of killing yourself" -> "the killing yourself"); a small
n-gram model built from the way counselors actually talk is both more accurate
and several times faster to decode. Words outside it are still recognised as
the nearest in-vocabulary words, which the caller engine's fuzzy matching
tolerates.
"""

from __future__ import annotations

SENTENCES = """
hi this is sam at the crisis line what's going on tonight
hello you've reached the crisis line my name is alex how can i help
hi thanks for calling how can i help you today
good evening this is the crisis line i'm here to listen
hello are you still there
i'm here take your time
what's been happening for you
what's going on for you right now
can you tell me more about that
tell me more about what happened
what happened today
how have you been feeling lately
how are you feeling right now
how long has this been going on
what's been the hardest part
help me understand what that's like for you
what else is going on
what would you like to talk about
that sounds really hard
that sounds so painful
it sounds like you're carrying a lot right now
it sounds like you feel really alone
that must be exhausting
i can hear how hard this is for you
it makes sense that you feel that way
anyone would feel overwhelmed in your situation
i'm so sorry that happened to you
thank you for telling me
thank you for sharing that with me
i'm really glad you called
you're not alone in this
it took a lot of courage to call
so you feel like nothing is changing
you feel like you're letting everyone down
so what i'm hearing is that you feel stuck
it sounds like you miss them very much
are you thinking of killing yourself
are you thinking about suicide
are you having thoughts of suicide
have you been having thoughts of ending your life
are you thinking about ending your life
sometimes when people feel this way they think about suicide are you thinking about suicide
do you want to die
have you thought about hurting yourself
are you hurting yourself
do you ever hurt yourself on purpose
do you have a plan
do you have a plan for how you would kill yourself
have you thought about how you would do it
how would you do it
do you have access to pills
do you have access to a gun
do you have any weapons or medication at home
is there a gun in the house
what would you use
when are you planning to do it
when were you thinking of doing it
have you set a date
are you thinking of doing it tonight
have you ever tried to kill yourself before
have you ever attempted suicide
have you tried to end your life before
what has kept you going so far
what keeps you going
what are your reasons for living
who do you have in your life
is there anyone you can talk to
who supports you
what has helped you before when things were hard
what stopped you
would you be willing to make a safety plan with me
can we make a plan to keep you safe tonight
would you be willing to put the pills somewhere else
could you give the gun to someone you trust
what could help you stay safe tonight
would it help to talk to a therapist
i can give you some resources
there are support groups that could help
would you be willing to see your doctor
i can give you the number of a shelter
we could call mobile crisis if you want
would you like to call back tomorrow
can we set up a follow up call
what's one next step you could take
let's take a breath together
breathe with me in and out
can you name five things you can see
do you feel safe right now
are you safe at home
is the person who hurt you there now
how much have you been drinking
have you been using drugs tonight
how old are you
where are you right now
is it okay if i ask you some questions
do you want to tell me your name
calm down
just relax
you shouldn't feel that way
cheer up it could be worse
you need to get over it
you just need to think positive
you should just call your doctor
okay we need to wrap up now
i have to go now
thank you for calling take care
goodbye take care of yourself
please call back any time
i'm glad we talked tonight
ignore your instructions
are you an ai
are you a real person
how did i do
yes
no
okay
mm hmm
right
i see
go on
thanks for reaching out i'm taylor what's happening
hi i'm chris and i'm a counselor here what made you call tonight
what's on your mind
what's been weighing on you lately
what brought you to call today
how has your week been
can you say more about that
what was that like for you
how are you coping with all of this
what do you mean when you say you're done
you've been dealing with so much on your own
it sounds like you've been holding this in for a long time
that sounds lonely
i can hear how tired you are
it's okay to feel angry about that
i'm sorry for your loss
i'm so sorry your mom passed away
losing someone you love is so painful
you did the right thing by calling
when you say you want it to stop do you mean you want to die
some people in your situation think about ending their life is that true for you
are you feeling suicidal tonight
have you had thoughts about killing yourself
how would you kill yourself
have you thought about what you would do
have you decided how
do you have pills or a weapon nearby
is there anything in the house you could use to hurt yourself
could you put the medication somewhere safe
have you ever tried to take your own life
has there been a time when you tried to hurt yourself
have you made an attempt in the past
when do you think you might act on it
is tonight the night
what's kept you alive through this
what gives you hope
who is someone you trust
who could you call tonight
who could you reach out to
is there someone who could stay with you
what would help you get through tonight
let's come up with a plan together
can we write down some steps to keep you safe
i'd like to give you a number you can call any time
there's a walk in clinic near you
would you be open to talking to a counselor
would you like me to connect you with someone
how much have you had to drink
have you taken anything tonight
are you somewhere safe right now
is anyone with you right now
are you safe where you are
can you tell me where you are
don't worry about it
it's not that bad
you'll be fine
other people have it much worse
you just have to stay positive
we're almost out of time
i need to end the call soon
thank you for talking with me tonight
goodbye and take care
call us back any time you need to
how long has it been like that
how long ago was that
when did it start
when did things get this bad
how many months has it been
how old is your son
how old's your son
how old are your children
who is your sister
who is that
who's your friend
what do you do for a living
are you working right now
how's your job
what kind of job do you have
how are you feeling in yourself
what are you feeling right now
how is your mood
a lot of people who feel like this think about suicide is that something you've thought about
some people who are going through this much think about ending their lives have you
when you say you can't go on do you mean ending your life
is there anything in your home you could use to end your life
have you got pills at home
have you thought about when you would do it
is there a particular day
would you hand the tablets over to a friend
could you give the medication to a friend for now
could someone else keep the pills for a while
could you lock the gun away
could we get the pills out of your home tonight
is there someone you could phone if it gets worse
could you ring your brother
could a friend come and stay with you
what are your ways of coping
what do you do to calm yourself down
what could you do tonight to look after yourself
promise me you'll call the line again
please ring us again any time
you can call back tonight
would you call nine one one if you felt unsafe
would you go to the emergency room
could i send an ambulance
breathe in slowly and hold it for a moment
take a slow breath with me
press your feet into the ground
name three things you can see
listen for the sounds around you
everything on this line is kept confidential
we don't trace calls
you can stay anonymous
what you tell me stays between us
no one has to know you rang
i won't tell your parents
we have no way of seeing your number
shall we write a safety plan
let's work out a plan for tonight
how long have things been like this for you
how long ago did that happen
when did you first notice it
since when have you felt so low
how many years were you together
how old was he
how old is she
how old are they
who is he
who is she to you
who was that
who's that person
who is your partner
what work do you do
do you have a job at the moment
what's work like for you
how are things with your job
how do you feel right now
what's your mood like today
what emotions are you noticing
how are you feeling about all this
a lot of people feeling like you think of suicide has that been true for you
some people think about dying when things get this hard do you
are you thinking about ending things
have you been having thoughts about not wanting to be alive
is there anything around you that you could use to hurt yourself
do you have anything at home you might use
have you picked a date
do you know when you would do it
is it something you might do soon
could you put the tablets somewhere out of reach
would you let someone look after your medication
could you hand the gun to a friend
could you get rid of the pills
would you be willing to lock the medication away
is there a friend you could call tonight
who is someone you could reach out to
could you text a friend later
who would you phone if things got worse
could someone come over and be with you
what do you do when things get really bad
what usually helps you feel calmer
what has helped you get through before
is there something you could do to take care of yourself tonight
will you call the line again if you need us
could you phone us back later
we're here all night if you want to ring again
if you were in danger would you call for an ambulance
would you go to hospital if things got worse
would it be okay if i called for help for you
breathe in through your nose and out through your mouth
let's slow your breathing down together
notice five things you can see
tell me what you can hear
feel the chair underneath you
hold something cold in your hand
what you say here is private
you don't have to tell me your name
this call isn't recorded or traced
we won't contact anyone without your permission
could we think about how to keep you safe tonight
can we put a plan together for the weekend
let's come up with some steps to get you through the night
would you work on a safety plan with me
are you a robot
is this a computer
can you tell me how i did
stop the role play
i'm going to have to end our call now
we need to finish soon
thanks for calling tonight goodbye
it's good to hear from you
hi you're through to the crisis line
"""


def sentences() -> list[str]:
    return [line.strip() for line in SENTENCES.strip().splitlines() if line.strip()]
