Feature: Registration and accounts
  BookLore manages users in its own interface and refuses registration over
  the sync API. The reference kosync server lets KOReader register, unless
  its operator turned registration off. Some users have sync switched off.

  @S-REG-1 @booklore
  Rule: BookLore refuses registration

    Scenario: Registering a new user is refused
      When someone registers a new user "newreader" with password "secret"
      Then the answer is a refusal or a client error
      And the new user "newreader" cannot sign in

  @K-REG-1 @kosync
  Rule: kosync registers a new user with 201

    Scenario: Registering a new user
      When someone registers a new user "newreader" with password "secret"
      Then the answer is 201
      And the new user "newreader" can sign in

  @K-REG-4 @kosync
  Rule: kosync's answer to a registration names the new user

    Scenario: The registration answer names the user
      When someone registers a new user "named" with password "secret"
      Then the answer's "username" is the new user's name

  @K-REG-2 @kosync
  Rule: kosync refuses a taken user name with 402 and code 2002

    Scenario: Registering the same name twice
      When someone registers a new user "twice" with password "secret"
      And someone registers the same user "twice" again
      Then the answer is 402
      And the error code is 2002

  @K-REG-3 @kosync @registration-disabled
  Rule: kosync with registration disabled answers 402 and code 2005

    Scenario: Registering while registration is off
      When someone registers a new user "latecomer" with password "secret"
      Then the answer is 402
      And the error code is 2005

  @S-OFF-1 @booklore @needs-disabled-user
  Rule: A user whose KOReader sync is disabled gets 401 and stores nothing

    Scenario: Pulling with sync disabled
      Given a book "A"
      When carol pulls "A"
      Then the answer is 401

    Scenario: Pushing with sync disabled
      Given a book "A"
      When carol pushes "A" at 0.5 with progress "should not stick"
      Then the answer is 401

    @needs-admin
    Scenario: A refused push is not kept for when sync is switched on
      Given a book "A"
      When carol pushes "A" at 0.5 with progress "should not stick"
      And carol's KOReader sync is switched on
      Then carol finds no progress for "A"
