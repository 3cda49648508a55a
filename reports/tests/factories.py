import factory

from reports.models import ProblemType, Region, Service, ServiceGroup, ServiceProblem


class ServiceGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceGroup
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"group-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class ProblemTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProblemType
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"problem-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service offering the given problem slugs, in order: ServiceFactory(problems=["login"])."""

    class Meta:
        model = Service
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    category = "messaging"

    @factory.post_generation
    def problems(self, create, extracted, **kwargs):
        for position, slug in enumerate(extracted or ["messages", "login"]):
            ServiceProblem.objects.get_or_create(
                service=self,
                problem_type=ProblemTypeFactory(slug=slug),
                defaults={"position": position},
            )

    @factory.post_generation
    def countries(self, create, extracted, **kwargs):
        """Where it is offered: ServiceFactory(countries=["DE"]); left out: worldwide."""
        if extracted:
            self.countries.set(extracted)


def region(code: str) -> Region:
    """Regions come from the data migration; this just fetches one."""
    return Region.objects.get(code=code)
